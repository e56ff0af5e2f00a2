/* Logging: one call, one line, whatever the values formatted into it. */
#include <temporal/log.h>

#include "test.h"

static char captured[8192];
static int lines;

static void capture(temporal_log_level level, const char *line, void *data) {
  (void)level;
  (void)data;
  snprintf(captured, sizeof captured, "%s", line);
  lines++;
}

TEST(log_escapes_control_characters_in_values) {
  temporal_log_set_sink(capture, NULL);
  temporal_log_set_level(TEMPORAL_LOG_INFO);
  /* An activity id as a hostile server or client could choose it: a forged second record and a
   * terminal escape sequence. */
  const char *id = "act-1\ntemporal-c ERROR forged\r\t\x1b[31mred\x7f";
  temporal_log(TEMPORAL_LOG_WARN, "activity %s: failed", id);
  CHECK_EQ_INT(1, lines);
  CHECK_STR_EQ("activity act-1\\ntemporal-c ERROR forged\\r\\t\\x1b[31mred\\x7f: failed", captured);
  CHECK(!strchr(captured, '\n') && !strchr(captured, '\x1b'));
  /* Printable text, UTF-8 included, is left alone. */
  temporal_log(TEMPORAL_LOG_WARN, "caf\xc3\xa9 \\n stays");
  CHECK_STR_EQ("caf\xc3\xa9 \\n stays", captured);
  temporal_log_set_sink(NULL, NULL);
}

TEST(log_escaping_never_overflows_the_line) {
  temporal_log_set_sink(capture, NULL);
  temporal_log_set_level(TEMPORAL_LOG_INFO);
  static char many[4000];
  memset(many, '\n', sizeof many - 1);
  temporal_log(TEMPORAL_LOG_INFO, "%s", many);
  /* Cut short on a whole escape: only "\n" pairs, and no raw newline. */
  size_t len = strlen(captured);
  CHECK(len > 1000 && len % 2 == 0);
  for (size_t i = 0; i < len; i += 2) CHECK(captured[i] == '\\' && captured[i + 1] == 'n');
  temporal_log_set_sink(NULL, NULL);
}
