/* Logging: levels and a settable sink. Lines logged for a running activity carry its activity id,
 * type, attempt, namespace, task queue and workflow ids. The default sink writes to stderr. */
#ifndef TEMPORAL_LOG_H
#define TEMPORAL_LOG_H

#include "common.h"

TEMPORAL_BEGIN_DECLS

typedef enum temporal_log_level {
  TEMPORAL_LOG_DEBUG = 0,
  TEMPORAL_LOG_INFO = 1,
  TEMPORAL_LOG_WARN = 2,
  TEMPORAL_LOG_ERROR = 3,
  TEMPORAL_LOG_OFF = 4,
} temporal_log_level;

/* A sink receives complete lines (no trailing newline) in which every control character is escaped
 * (newline as \n, CR as \r, tab as \t, the others as \xNN), so one call is always one line, whatever
 * the values logged (activity ids and types come from the server). It may be called from any library
 * thread, concurrently; it must be thread-safe. */
typedef void (*temporal_log_sink)(temporal_log_level level, const char *line, void *data);

/* Replaces the process-wide sink (NULL restores stderr); `data` is handed to it as is, and must stay
 * valid while the sink is set. Not thread-safe against concurrent logging: call it at start-up, before
 * any client, worker or pool exists, or after they are all freed. */
TEMPORAL_EXTERN void temporal_log_set_sink(temporal_log_sink sink, void *data);
/* Lines below `level` are dropped. Default: TEMPORAL_LOG_INFO, or $TEMPORAL_LOG_LEVEL
 * (debug/info/warn/error/off). Any thread, any time. */
TEMPORAL_EXTERN void temporal_log_set_level(temporal_log_level level);
/* Logs one line through the sink, as the library logs its own. Any thread. */
TEMPORAL_EXTERN void temporal_log(temporal_log_level level, const char *format, ...) TEMPORAL_PRINTF(2, 3);

TEMPORAL_END_DECLS

#endif
