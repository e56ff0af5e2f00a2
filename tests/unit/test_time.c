/* Time arithmetic on values a task may carry: anything an int64 holds. */
#include <stdint.h>

#include "core/core.h"
#include "test.h"

TEST(time_add_saturates_instead_of_overflowing) {
  CHECK_EQ_INT(5, temporal__add_sat(2, 3));
  CHECK_EQ_INT(-1, temporal__add_sat(2, -3));
  CHECK(temporal__add_sat(INT64_MAX, 1) == INT64_MAX);
  CHECK(temporal__add_sat(INT64_MAX - 5, INT64_MAX) == INT64_MAX);
  CHECK(temporal__add_sat(INT64_MIN, -1) == INT64_MIN);
  CHECK(temporal__add_sat(-5, INT64_MIN) == INT64_MIN);
  CHECK(temporal__add_sat(INT64_MAX, INT64_MIN) == -1);
}
