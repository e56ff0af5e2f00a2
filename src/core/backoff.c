/* Exponential backoff with jitter, for call retries and poll errors. */
#include <stdlib.h>
#include <sys/random.h>

#include "core/core.h"

void temporal__backoff_init(temporal__backoff *b, temporal_duration_ns initial, temporal_duration_ns max) {
  b->initial = initial;
  b->max = max;
  b->current = 0;
}

void temporal__backoff_reset(temporal__backoff *b) {
  b->current = 0;
}

/* A uniform factor in [0.8, 1.2]: jitter keeps many clients from retrying in lockstep. */
static double jitter_factor(void) {
  uint32_t r = 0;
  if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) r = (uint32_t)rand();
  return 0.8 + 0.4 * ((double)r / (double)UINT32_MAX);
}

temporal_duration_ns temporal__backoff_next(temporal__backoff *b) {
  if (b->current == 0)
    b->current = b->initial;
  else if (b->current < b->max)
    b->current = b->current * 2 > b->max ? b->max : b->current * 2;
  return (temporal_duration_ns)((double)b->current * jitter_factor());
}
