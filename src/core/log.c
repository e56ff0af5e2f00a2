/* Process-wide logging: a level threshold and a sink (stderr by default).
 *
 * Every line is one record: control characters in it (from any value formatted into it, e.g. an
 * activity id the server sent) are written as escapes (\n, \r, \t, \xNN), so a value cannot end
 * the line early, forge another record or send terminal escape sequences. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"

static temporal_log_sink sink;
static void *sink_data;
static int level_threshold = -1; /* -1 = not read from the environment yet */
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static void read_env_level(void) {
  const char *env = getenv("TEMPORAL_LOG_LEVEL");
  int level = TEMPORAL_LOG_INFO;
  if (env) {
    if (!strcasecmp(env, "debug"))
      level = TEMPORAL_LOG_DEBUG;
    else if (!strcasecmp(env, "info"))
      level = TEMPORAL_LOG_INFO;
    else if (!strcasecmp(env, "warn"))
      level = TEMPORAL_LOG_WARN;
    else if (!strcasecmp(env, "error"))
      level = TEMPORAL_LOG_ERROR;
    else if (!strcasecmp(env, "off"))
      level = TEMPORAL_LOG_OFF;
  }
  if (__atomic_load_n(&level_threshold, __ATOMIC_RELAXED) < 0)
    __atomic_store_n(&level_threshold, level, __ATOMIC_RELAXED);
}

void temporal_log_set_sink(temporal_log_sink new_sink, void *data) {
  sink = new_sink;
  sink_data = data;
}

void temporal_log_set_level(temporal_log_level level) {
  pthread_once(&env_once, read_env_level);
  __atomic_store_n(&level_threshold, (int)level, __ATOMIC_RELAXED);
}

bool temporal__log_enabled(temporal_log_level level) {
  pthread_once(&env_once, read_env_level);
  return (int)level >= __atomic_load_n(&level_threshold, __ATOMIC_RELAXED) && level < TEMPORAL_LOG_OFF;
}

static const char *level_name(temporal_log_level level) {
  switch (level) {
    case TEMPORAL_LOG_DEBUG: return "DEBUG";
    case TEMPORAL_LOG_INFO: return "INFO";
    case TEMPORAL_LOG_WARN: return "WARN";
    case TEMPORAL_LOG_ERROR: return "ERROR";
    default: return "";
  }
}

/* `in` with its control characters escaped, into `out` (cap > 0 bytes; cut short rather than split
 * an escape). */
static void escape_controls(char *out, size_t cap, const char *in) {
  static const char hex[] = "0123456789abcdef";
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
    char esc[5];
    size_t len = 0;
    if (*p == '\n' || *p == '\r' || *p == '\t') {
      esc[len++] = '\\';
      esc[len++] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
    } else if (*p < 0x20 || *p == 0x7f) {
      esc[len++] = '\\';
      esc[len++] = 'x';
      esc[len++] = hex[*p >> 4];
      esc[len++] = hex[*p & 15];
    } else {
      esc[len++] = (char)*p;
    }
    if (n + len >= cap) break;
    memcpy(out + n, esc, len);
    n += len;
  }
  out[n] = '\0';
}

void temporal__vlog(temporal_log_level level, const char *format, va_list ap) {
  if (!temporal__log_enabled(level)) return;
  char raw[2048], line[4 * sizeof raw];
  vsnprintf(raw, sizeof raw, format, ap);
  escape_controls(line, sizeof line, raw);
  if (sink) {
    sink(level, line, sink_data);
    return;
  }
  /* One fprintf per line: stdio locks the stream, so concurrent lines do not interleave. */
  fprintf(stderr, "temporal-c %s %s\n", level_name(level), line);
}

void temporal__log(temporal_log_level level, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  temporal__vlog(level, format, ap);
  va_end(ap);
}

void temporal_log(temporal_log_level level, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  temporal__vlog(level, format, ap);
  va_end(ap);
}
