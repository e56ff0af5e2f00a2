/* Internal: the zygote (zygote.c), the single-threaded process the process pool forks early and
 * that forks the pool's children on request, so no child is ever forked from the threaded worker. */
#ifndef TEMPORAL_EXECUTOR_ZYGOTE_H
#define TEMPORAL_EXECUTOR_ZYGOTE_H

#include <stddef.h>
#include <sys/types.h>

/* What runs in each child: `sock` is its end of the connection to the parent. Must not return
 * (end with _exit). */
typedef void (*temporal__child_main)(int sock, void *data);

/* The parent's handle on its zygote. The layout is here rather than in zygote.c only so the process
 * pool's test inspection (tests/unit/pool_inspect.c) can read the pid; everything else goes through
 * the calls below. */
typedef struct temporal__zygote {
  pid_t pid;
  int ctl; /* the parent's end of the control socket */
} temporal__zygote;

typedef enum temporal__zygote_event_kind {
  TEMPORAL__ZYGOTE_CHILD_STARTED = 1, /* pid, fd (the parent's end; the caller owns it) */
  TEMPORAL__ZYGOTE_CHILD_EXITED = 2,  /* pid, status (as from waitpid) */
  TEMPORAL__ZYGOTE_SPAWN_FAILED = 3,  /* error (an errno value) */
  TEMPORAL__ZYGOTE_GONE = 4,          /* the zygote itself died or hung up */
} temporal__zygote_event_kind;

typedef struct temporal__zygote_event {
  temporal__zygote_event_kind kind;
  pid_t pid;
  int fd;
  int status;
  int error;
} temporal__zygote_event;

/* Forks the zygote now. `main` and `data` are what the children run. The zygote and its children keep
 * stdin, stdout, stderr, their own sockets and the keep_count (at most 7) descriptors in keep[]
 * (the shared state manager's); every other descriptor of the worker is closed in them. Forking is
 * safest while the process has no threads that matter to the children (before gRPC starts). */
int temporal__zygote_start(temporal__zygote **out, temporal__child_main main, void *data, const int *keep,
                           size_t keep_count);
/* The parent's control socket: poll it for POLLIN, then call temporal__zygote_read_event. */
int temporal__zygote_fd(const temporal__zygote *zygote);
/* Asks for one more child (answered by a CHILD_STARTED or SPAWN_FAILED event). */
int temporal__zygote_spawn(temporal__zygote *zygote);
/* Asks the zygote to SIGKILL one of its children (safe against pid reuse: the zygote only signals
 * a child it has not reaped). */
int temporal__zygote_kill(temporal__zygote *zygote, pid_t pid);
/* Reads one event without blocking: 1 = *out filled, 0 = nothing pending, <0 = error. */
int temporal__zygote_read_event(temporal__zygote *zygote, temporal__zygote_event *out);
/* Kills the zygote's children, reaps the zygote (bounded wait, then SIGKILL) and frees. */
void temporal__zygote_stop(temporal__zygote *zygote);

/* How a child ended, into buf: "was killed by signal 11 (SIGSEGV)" / "exited with status 3". */
void temporal__describe_wait_status(char *buf, size_t size, int status);

#endif
