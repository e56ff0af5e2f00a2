/* The process pool, the job bytes and the running side, without a server: raw jobs (opaque bytes
 * with an injected run function) for the pool mechanics, and real job bytes run by
 * temporal_executor_run for the activity path (heartbeats and cancellation through the shared
 * state manager, with a test sink in place of the worker's tasks). */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "converter/converter_internal.h"
#include "core/core.h"
#include "executor/executor_internal.h"
#include "executor/job.h"
#include "executor/pool_internal.h"
#include "executor/process_pool.h"
#include "executor/shared_state.h"
#include "pool_inspect.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "test.h"
#include "activity/task.h"

/* ---- outcomes of raw jobs ---------------------------------------------------------------------------- */

#define MAX_OUTCOMES 64

typedef struct outcome {
  bool done;
  uint8_t *result;
  size_t len;
  char *reason;
  int64_t at; /* monotonic ns */
} outcome;

static struct {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  int done;
  outcome out[MAX_OUTCOMES];
} col = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void col_init(void) {
  temporal__cond_init(&col.cond);
}

static void on_done(void *data, const uint8_t *result, size_t len, const char *reason) {
  int idx = (int)(intptr_t)data;
  pthread_mutex_lock(&col.mu);
  outcome *o = &col.out[idx];
  if (o->done) TEST_FAIL("job %d finished twice", idx);
  o->done = true;
  o->at = temporal__monotonic_ns();
  if (result) {
    o->result = malloc(len + 1);
    memcpy(o->result, result, len);
    o->result[len] = 0;
    o->len = len;
  }
  if (reason) o->reason = strdup(reason);
  col.done++;
  pthread_cond_broadcast(&col.cond);
  pthread_mutex_unlock(&col.mu);
}

/* Waits until job `idx` is done (10 s at most) and returns its outcome. */
static outcome *wait_job(int idx) {
  struct timespec deadline = temporal__deadline_ts(10 * TEMPORAL_SECOND);
  pthread_mutex_lock(&col.mu);
  while (!col.out[idx].done)
    if (pthread_cond_timedwait(&col.cond, &col.mu, &deadline) == ETIMEDOUT) break;
  bool done = col.out[idx].done;
  pthread_mutex_unlock(&col.mu);
  if (!done) TEST_FAIL("job %d did not finish in time", idx);
  return &col.out[idx];
}

static temporal_executor_job *submit_bytes(temporal_executor *ex, int idx, const void *bytes, size_t len) {
  temporal_executor_job *job = NULL;
  CHECK_EQ_INT(0, temporal__job_new(&job, bytes, len, on_done, (void *)(intptr_t)idx));
  CHECK_EQ_INT(0, ex->vtable->submit(ex->self, job));
  return job;
}

static temporal_executor_job *submit(temporal_executor *ex, int idx, const char *cmd) {
  return submit_bytes(ex, idx, cmd, strlen(cmd));
}

/* ---- what the children do with raw jobs -------------------------------------------------------------- */

static int test_run(uint8_t **out, size_t *len_out, temporal_shared_state_manager *m, const uint8_t *job,
                    size_t len) {
  (void)m;
  char cmd[64];
  snprintf(cmd, sizeof cmd, "%.*s", (int)(len < 63 ? len : 63), (const char *)job);
  if (strncmp(cmd, "echo:", 5) == 0) {
    *len_out = len - 5;
    *out = malloc(*len_out ? *len_out : 1);
    memcpy(*out, job + 5, *len_out);
    return 0;
  }
  if (strncmp(cmd, "sleep:", 6) == 0) temporal__sleep_ns(atoi(cmd + 6) * TEMPORAL_MS);
  if (strcmp(cmd, "pid") == 0 || strncmp(cmd, "sleep:", 6) == 0) {
    char *s = temporal__asprintf("%d", (int)getpid());
    *out = (uint8_t *)s;
    *len_out = strlen(s);
    return 0;
  }
  if (strcmp(cmd, "fds") == 0) { /* "<fd>=<what it is>;" for each open descriptor */
    DIR *d = opendir("/proc/self/fd");
    char *list = temporal__strdup("");
    for (struct dirent *e; d && (e = readdir(d));) {
      if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d)) continue;
      char path[300], what[256];
      snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
      ssize_t n = readlink(path, what, sizeof what - 1);
      what[n > 0 ? n : 0] = 0;
      char *grown = temporal__asprintf("%s%s=%s;", list, e->d_name, what);
      free(list);
      list = grown;
    }
    if (d) closedir(d);
    *out = (uint8_t *)list;
    *len_out = strlen(list);
    return 0;
  }
  if (strcmp(cmd, "huge") == 0) { /* a result one byte over what can be reported */
    *len_out = TEMPORAL__POOL_MAX_FRAME + 1;
    *out = malloc(*len_out); /* untouched: the pages cost nothing until read */
    return *out ? 0 : temporal__error(TEMPORAL_ENOMEM, "no memory");
  }
  if (strcmp(cmd, "liar") == 0) { /* announces a 1 TiB result on its socket, then sends nothing */
    for (int fd = 3; fd < 256; fd++) {
      int type;
      socklen_t type_len = sizeof type;
      if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0) continue;
      uint8_t hdr[12];
      temporal__put_le(hdr, TEMPORAL__POOL_FRAME_RESULT, 4);
      temporal__put_le(hdr + 4, (uint64_t)1 << 40, 8);
      if (write(fd, hdr, sizeof hdr) != (ssize_t)sizeof hdr) _exit(4);
      for (;;) pause();
    }
    _exit(5);
  }
  if (strcmp(cmd, "segv") == 0) {
    signal(SIGSEGV, SIG_DFL); /* a sanitizer's handler would turn the crash into an exit */
    raise(SIGSEGV);
  }
  if (strcmp(cmd, "abort") == 0) abort();
  if (strcmp(cmd, "exit3") == 0) _exit(3);
  if (strcmp(cmd, "hang") == 0)
    for (;;) pause();
  return temporal__error(TEMPORAL_EDECODE, "not a job: %s", cmd);
}

static temporal_executor *new_pool(temporal_shared_state_manager *m, unsigned int processes,
                                   temporal_duration_ns kill_grace, temporal__pool_run_fn run) {
  temporal_process_pool_options o = TEMPORAL_PROCESS_POOL_OPTIONS_INIT;
  o.processes = processes;
  o.kill_grace = kill_grace;
  temporal_executor *ex = NULL;
  CHECK_EQ_INT(0, temporal__process_pool_new(&ex, m, &o, run));
  CHECK(ex != NULL);
  CHECK_EQ_INT(TEMPORAL__EXECUTOR_OTHER, ex->kind);
  return ex;
}

static temporal_shared_state_manager *new_manager(unsigned int slots, size_t max_details) {
  temporal_shared_state_manager_options o = TEMPORAL_SHARED_STATE_MANAGER_OPTIONS_INIT;
  o.max_activities = slots;
  o.max_heartbeat_details_size = max_details;
  temporal_shared_state_manager *m = NULL;
  CHECK_EQ_INT(0, temporal_shared_state_manager_new(&m, &o));
  return m;
}

/* Waits until the pool has `n` live children (5 s at most). */
static void wait_children(temporal_executor *ex, size_t n) {
  int64_t deadline = temporal__monotonic_ns() + 5 * TEMPORAL_SECOND;
  pid_t pids[16];
  while (temporal__process_pool_pids(ex, pids, 16) != n) {
    if (temporal__monotonic_ns() > deadline)
      TEST_FAIL("expected %zu children, have %zu", n, temporal__process_pool_pids(ex, pids, 16));
    temporal__sleep_ns(5 * TEMPORAL_MS);
  }
}

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  CHECK(d != NULL);
  int n = 0;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

static bool process_exists(pid_t pid) {
  return kill(pid, 0) == 0 || errno != ESRCH;
}

/* ---- pool mechanics ------------------------------------------------------------------------------------ */

TEST(pool_runs_jobs_in_its_children) {
  col_init();
  temporal_shared_state_manager *m = new_manager(16, 0);
  temporal_executor *ex = new_pool(m, 2, 0, test_run);
  wait_children(ex, 2);
  pid_t pids[2];
  CHECK_EQ_INT(2, temporal__process_pool_pids(ex, pids, 2));
  CHECK(pids[0] != getpid() && pids[1] != getpid() && pids[0] != pids[1]);
  for (int i = 0; i < 20; i++) submit(ex, i, "pid");
  submit(ex, 20, "echo:hello");
  submit(ex, 21, "echo:");
  for (int i = 0; i < 20; i++) {
    outcome *o = wait_job(i);
    CHECK(o->reason == NULL);
    pid_t ran = (pid_t)atoi((const char *)o->result);
    CHECK(ran == pids[0] || ran == pids[1]);
  }
  CHECK_STR_EQ("hello", (const char *)wait_job(20)->result);
  CHECK_EQ_INT(0, wait_job(21)->len);
  temporal_executor_free(ex);
  temporal_shared_state_manager_free(m);
}

TEST(pool_options_validated) {
  temporal_shared_state_manager *m = new_manager(4, 0);
  temporal_executor *ex = NULL;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_process_pool_executor_new(&ex, NULL, NULL));
  CHECK_CONTAINS(temporal_error_last(), "shared_state_manager");
  temporal_process_pool_options o = TEMPORAL_PROCESS_POOL_OPTIONS_INIT;
  o.version = 99;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_process_pool_executor_new(&ex, m, &o));
  o = (temporal_process_pool_options)TEMPORAL_PROCESS_POOL_OPTIONS_INIT;
  o.kill_grace = -1;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_process_pool_executor_new(&ex, m, &o));
  CHECK(ex == NULL);
  temporal_shared_state_manager_free(m);
}

/* Runs `cmd` in a one-child pool, checks the abandon reason, and that a fresh child serves next. */
static void crash_case(const char *cmd, const char *expected) {
  col_init();
  temporal_shared_state_manager *m = new_manager(4, 0);
  temporal_executor *ex = new_pool(m, 1, 0, test_run);
  submit(ex, 0, "pid");
  pid_t first = (pid_t)atoi((const char *)wait_job(0)->result);
  submit(ex, 1, cmd);
  outcome *o = wait_job(1);
  CHECK(o->result == NULL);
  char want[128];
  snprintf(want, sizeof want, "activity process %d %s", (int)first, expected);
  CHECK_STR_EQ(want, o->reason);
  submit(ex, 2, "pid");
  pid_t second = (pid_t)atoi((const char *)wait_job(2)->result);
  CHECK(second != first);
  CHECK(!process_exists(first)); /* reaped by the zygote: no zombie left */
  wait_children(ex, 1);
  temporal_executor_free(ex);
  temporal_shared_state_manager_free(m);
}

TEST(pool_child_segfault_is_named_and_replaced) {
  crash_case("segv", "was killed by signal 11 (SIGSEGV)");
}
TEST(pool_child_abort_is_named_and_replaced) {
  crash_case("abort", "was killed by signal 6 (SIGABRT)");
}
TEST(pool_child_exit_is_named_and_replaced) {
  crash_case("exit3", "exited with status 3");
}

TEST(pool_crash_leaves_other_jobs_alone) {
  col_init();
  temporal_shared_state_manager *m = new_manager(8, 0);
  temporal_executor *ex = new_pool(m, 2, 0, test_run);
  wait_children(ex, 2);
  submit(ex, 0, "sleep:300");
  temporal__sleep_ns(20 * TEMPORAL_MS);
  submit(ex, 1, "segv");
  CHECK_CONTAINS(wait_job(1)->reason, "SIGSEGV");
  outcome *o = wait_job(0);
  CHECK(o->reason == NULL && o->result != NULL);
  for (int i = 2; i < 10; i++) submit(ex, i, i % 3 == 0 ? "abort" : "pid");
  for (int i = 2; i < 10; i++) {
    o = wait_job(i);
    if (i % 3 == 0)
      CHECK_CONTAINS(o->reason, "SIGABRT");
    else
      CHECK(o->result != NULL);
  }
  wait_children(ex, 2);
  temporal_executor_free(ex);
  temporal_shared_state_manager_free(m);
}

TEST(pool_run_error_abandons_with_its_message) {
  col_init();
  temporal_shared_state_manager *m = new_manager(4, 0);
  temporal_executor *ex = new_pool(m, 1, 0, test_run);
  submit(ex, 0, "nonsense");
  CHECK_CONTAINS(wait_job(0)->reason, "could not run the job: not a job: nonsense");
  submit(ex, 1, "echo:still fine");
  CHECK_STR_EQ("still fine", (const char *)wait_job(1)->result);
  temporal_executor_free(ex);
  temporal_shared_state_manager_free(m);
}

TEST(pool_big_jobs_and_results_cross_intact) {
  col_init();
  temporal_shared_state_manager *m = new_manager(4, 0);
  temporal_executor *ex = new_pool(m, 2, 0, test_run);
  size_t n = 8u << 20;
  uint8_t *big = malloc(n + 5);
  memcpy(big, "echo:", 5);
  for (size_t i = 0; i < n; i++) big[5 + i] = (uint8_t)(i * 31 + 7);
  submit_bytes(ex, 0, big, n + 5);
  submit_bytes(ex, 1, big, n + 5);
  for (int k = 0; k < 2; k++) {
    outcome *o = wait_job(k);
    CHECK(o->reason == NULL);
    CHECK_EQ_INT(n, o->len);
    CHECK(memcmp(o->result, big + 5, n) == 0);
  }
  free(big);
  temporal_executor_free(ex);
  temporal_shared_state_manager_free(m);
}

TEST(pool_kill_grace_kills_a_child_that_ignores_cancellation) {
  col_init();
  temporal_shared_state_manager *m = new_manager(4, 0);
  temporal_executor *ex = new_pool(m, 1, 200 * TEMPORAL_MS, test_run);
  wait_children(ex, 1);
  temporal_executor_job *job = submit(ex, 0, "hang");
  temporal__sleep_ns(100 * TEMPORAL_MS);
  int64_t t0 = temporal__monotonic_ns();
  temporal__job_interrupt(job, TEMPORAL__INTERRUPT_CANCEL);
  outcome *o = wait_job(0);
  int64_t took = o->at - t0;
  CHECK_CONTAINS(o->reason, "was killed by signal 9 (SIGKILL)");
  CHECK_CONTAINS(o->reason, "kill_grace");
  CHECK(took >= 190 * TEMPORAL_MS);
  CHECK(took < 3 * TEMPORAL_SECOND);
  submit(ex, 1, "echo:after");
  CHECK_STR_EQ("after", (const char *)wait_job(1)->result);
  temporal_executor_free(ex);
  temporal_shared_state_manager_free(m);
}

TEST(pool_free_abandons_jobs_and_leaves_no_zombie_or_fd) {
  col_init();
  temporal_shared_state_manager *m = new_manager(8, 0);
  int fds_before = count_fds();
  temporal_executor *ex = new_pool(m, 2, 0, test_run);
  wait_children(ex, 2);
  pid_t kids[2];
  temporal__process_pool_pids(ex, kids, 2);
  pid_t zygote = temporal__process_pool_zygote_pid(ex);
  CHECK(zygote > 0 && process_exists(zygote));
  for (int i = 0; i < 4; i++) submit(ex, i, "hang"); /* two run, two wait in the queue */
  temporal__sleep_ns(100 * TEMPORAL_MS);
  temporal_executor_free(ex);
  for (int i = 0; i < 4; i++) CHECK_CONTAINS(wait_job(i)->reason, "worker shutting down");
  CHECK(!process_exists(zygote));
  CHECK(!process_exists(kids[0]) && !process_exists(kids[1]));
  CHECK_EQ_INT(-1, waitpid(-1, NULL, WNOHANG));
  CHECK_EQ_INT(ECHILD, errno);
  CHECK_EQ_INT(fds_before, count_fds());
  temporal_shared_state_manager_free(m);
}

/* The zygote dies under a busy pool: the running job is lost with its child, the queued ones are
 * abandoned without ever reaching a child, and the pool refuses new jobs. */
TEST(pool_zygote_death_abandons_running_and_queued_jobs) {
  col_init();
  temporal_shared_state_manager *m = new_manager(8, 0);
  temporal_executor *ex = new_pool(m, 1, 0, test_run);
  wait_children(ex, 1);
  submit(ex, 0, "hang");
  temporal__sleep_ns(100 * TEMPORAL_MS);
  submit(ex, 1, "pid"); /* the only child is busy: these two wait in the queue */
  submit(ex, 2, "pid");
  CHECK_EQ_INT(0, kill(temporal__process_pool_zygote_pid(ex), SIGKILL));
  CHECK_CONTAINS(wait_job(0)->reason, "was lost with the process pool's zygote");
  for (int i = 1; i <= 2; i++) CHECK_CONTAINS(wait_job(i)->reason, "zygote died; no process can run");
  temporal_executor_job *late = NULL;
  CHECK_EQ_INT(0, temporal__job_new(&late, (const uint8_t *)"pid", 3, on_done, (void *)(intptr_t)3));
  CHECK_EQ_INT(TEMPORAL_ESTATE, ex->vtable->submit(ex->self, late));
  CHECK_CONTAINS(temporal_error_last(), "zygote died");
  temporal_executor_job_abandon(late, "refused"); /* not taken: still ours */
  CHECK_STR_EQ("refused", wait_job(3)->reason);
  temporal_executor_free(ex);
  temporal_shared_state_manager_free(m);
}

TEST(pool_free_right_after_new) {
  temporal_shared_state_manager *m = new_manager(4, 0);
  int fds_before = count_fds();
  for (int i = 0; i < 3; i++) temporal_executor_free(new_pool(m, 3, 0, test_run));
  CHECK_EQ_INT(-1, waitpid(-1, NULL, WNOHANG));
  CHECK_EQ_INT(fds_before, count_fds());
  temporal_shared_state_manager_free(m);
}

TEST(pool_two_pools_do_not_hold_each_others_sockets) {
  col_init();
  temporal_shared_state_manager *m = new_manager(8, 0);
  temporal_executor *a = new_pool(m, 1, 0, test_run);
  wait_children(a, 1);
  temporal_executor *b = new_pool(m, 1, 0, test_run); /* its zygote must close a's sockets */
  wait_children(b, 1);
  pid_t za = temporal__process_pool_zygote_pid(a);
  temporal_executor_free(a); /* would wait 5 s for za if b's zygote kept a's control socket open */
  CHECK(!process_exists(za));
  submit(b, 0, "echo:b");
  CHECK_STR_EQ("b", (const char *)wait_job(0)->result);
  temporal_executor_free(b);
  temporal_shared_state_manager_free(m);
}

TEST(pool_result_over_the_frame_limit_fails_its_attempt_only) {
  col_init();
  temporal_shared_state_manager *m = new_manager(4, 0);
  temporal_executor *ex = new_pool(m, 1, 0, test_run);
  wait_children(ex, 1);
  pid_t pid;
  temporal__process_pool_pids(ex, &pid, 1);
  /* Too big to report: the child says so instead of sending it, and stays. */
  submit(ex, 0, "huge");
  CHECK_CONTAINS(wait_job(0)->reason, "no result over");
  CHECK_CONTAINS(col.out[0].reason, "can be reported to the server");
  submit(ex, 1, "pid");
  CHECK_EQ_INT(pid, atoi((const char *)wait_job(1)->result));
  /* A child that announces 1 TiB: its attempt fails with the size, before the worker allocates it;
   * the child is replaced and the next job runs. */
  submit(ex, 2, "liar");
  CHECK_CONTAINS(wait_job(2)->reason, "sent a 1099511627776-byte result; no result over");
  submit(ex, 3, "echo:after");
  CHECK_STR_EQ("after", (const char *)wait_job(3)->result);
  temporal_executor_free(ex);
  temporal_shared_state_manager_free(m);
}

/* What descriptor `fd` of this process is ("socket:[123]", "pipe:[456]", a path). */
static void fd_target(int fd, char *out, size_t cap) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, out, cap - 1);
  CHECK(n > 0);
  out[n] = 0;
}

TEST(pool_made_after_a_connection_keeps_only_the_descriptors_it_needs) {
  col_init();
  /* What a connected client leaves open in the worker before the pool exists: a TCP socket (no
   * close-on-exec would help: the zygote forks without exec) and the program's own pipe. */
  int tcp = socket(AF_INET, SOCK_STREAM, 0);
  int p[2];
  CHECK(tcp >= 0 && pipe(p) == 0);
  char tcp_what[64], pipe_what[64];
  fd_target(tcp, tcp_what, sizeof tcp_what);
  fd_target(p[0], pipe_what, sizeof pipe_what);
  temporal_shared_state_manager *m = new_manager(4, 0);
  temporal_executor *ex = new_pool(m, 1, 0, test_run);
  submit(ex, 0, "fds");
  const char *fds = (const char *)wait_job(0)->result;
  CHECK(fds != NULL);
  /* The child: not the worker's socket or pipe; one socket (its own, to the worker) and the manager's
   * event fd, besides stdin, stdout and stderr. */
  CHECK(!strstr(fds, tcp_what) && !strstr(fds, pipe_what));
  int sockets = 0;
  for (const char *s = fds; (s = strstr(s, "socket:")); s++) sockets++;
  CHECK_EQ_INT(1, sockets);
  CHECK_CONTAINS(fds, "anon_inode:[eventfd]");
  /* The zygote, read from here: neither. */
  char dir[64];
  snprintf(dir, sizeof dir, "/proc/%d/fd", (int)temporal__process_pool_zygote_pid(ex));
  DIR *d = opendir(dir);
  CHECK(d != NULL);
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    char path[400], what[256];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    ssize_t n = readlink(path, what, sizeof what - 1);
    if (n <= 0) continue;
    what[n] = 0;
    if (!strcmp(what, tcp_what) || !strcmp(what, pipe_what))
      TEST_FAIL("the zygote holds fd %s (%s)", e->d_name, what);
  }
  closedir(d);
  temporal_executor_free(ex);
  temporal_shared_state_manager_free(m);
  close(tcp);
  close(p[0]);
  close(p[1]);
}

/* ---- real jobs: temporal_executor_run ---------------------------------------------------------------- */

static int marker;

static temporal_result *act_hello(temporal_activity *activity, const temporal_args *args) {
  const temporal_activity_info *info = temporal_activity_get_info(activity);
  if (temporal_activity_data(activity) != &marker)
    return temporal_result_errorf("Test", "wrong data pointer");
  if (strcmp(info->activity_type, "act_hello") != 0 || info->attempt != 2 ||
      strcmp(info->namespace_, "ns1") != 0 || strcmp(info->task_queue, "tq1") != 0)
    return temporal_result_errorf("Test", "wrong info: %s %d %s %s", info->activity_type, info->attempt,
                                  info->namespace_, info->task_queue);
  const char *name = NULL;
  if (temporal_args_get_string(&name, args, 0) != 0) return temporal_result_from_code(TEMPORAL_ETYPE);
  json_t *beat = json_string("beat");
  int rc = temporal_activity_heartbeat_json(activity, beat);
  json_decref(beat);
  if (rc != 0) return temporal_result_from_code(rc);
  if (temporal_activity_is_cancelled(activity)) return temporal_result_errorf("Test", "cancelled too early");
  char *greeting = temporal__asprintf("Hello, %s!", name);
  temporal_result *r = temporal_result_string(greeting);
  free(greeting);
  return r;
}

static temporal_result *act_wait(temporal_activity *activity, const temporal_args *args) {
  (void)args;
  /* The cancel may land between the heartbeat being recorded and the call returning: that is
   * TEMPORAL_ECANCELLED, the heartbeat's way of saying "stop", not a failure. */
  int hb = temporal_activity_heartbeat(activity, NULL, 0);
  if (hb == TEMPORAL_ECANCELLED) return temporal_result_cancelled();
  if (hb != 0) return temporal_result_errorf("Test", "heartbeat failed: %s", temporal_error_last());
  int rc = temporal_activity_wait_for_cancelled(activity, 10 * TEMPORAL_SECOND);
  if (rc == 0 && temporal_activity_is_cancelled(activity)) return temporal_result_cancelled();
  return temporal_result_string("not cancelled");
}

static temporal_result *act_big_heartbeat(temporal_activity *activity, const temporal_args *args) {
  (void)args;
  json_t *s = json_string("0123456789012345678901234567890123456789012345678901234567890123456789");
  int rc = temporal_activity_heartbeat_json(activity, s);
  json_decref(s);
  return rc == TEMPORAL_ETOOBIG ? temporal_result_string("too big")
                                : temporal_result_errorf("Test", "rc %d", rc);
}

/* Job bytes for `fn` with one argument payload of `encoding` and `data`. */
static void make_job(uint8_t **out, size_t *len, uint32_t slot, uint32_t generation,
                     temporal_sync_activity_fn fn, const char *type, const char *encoding, const char *data) {
  temporal_payload *arg = NULL;
  if (strcmp(encoding, "json/plain") == 0) {
    CHECK_EQ_INT(0, temporal_payload_new_string(&arg, data));
  } else {
    CHECK_EQ_INT(0, temporal_payload_new_bytes(&arg, data, strlen(data)));
    free(arg->meta[0].value);
    arg->meta[0].value = (uint8_t *)strdup(encoding);
    arg->meta[0].len = strlen(encoding);
  }
  const temporal_payload *list[1] = {arg};
  Temporal__Api__Common__V1__Payloads *input = NULL;
  CHECK_EQ_INT(0, temporal__payloads_to_proto(&input, list, 1));
  Temporal__Api__Common__V1__ActivityType at = TEMPORAL__API__COMMON__V1__ACTIVITY_TYPE__INIT;
  at.name = (char *)type;
  Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse resp =
      TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_ACTIVITY_TASK_QUEUE_RESPONSE__INIT;
  uint8_t token[4] = {1, 2, 3, 4};
  resp.task_token.data = token;
  resp.task_token.len = sizeof token;
  resp.activity_id = "a-1";
  resp.activity_type = &at;
  resp.input = input;
  resp.attempt = 2;
  resp.workflow_namespace = "ns1";
  size_t packed_len = protobuf_c_message_get_packed_size(&resp.base);
  uint8_t *packed = malloc(packed_len);
  protobuf_c_message_pack(&resp.base, packed);
  temporal__job_header h = {.slot = slot,
                            .generation = generation,
                            .sync_fn = (uintptr_t)fn,
                            .data = (uintptr_t)&marker,
                            .name = type,
                            .name_len = strlen(type),
                            .namespace_ = "ns1",
                            .namespace_len = 3,
                            .task_queue = "tq1",
                            .task_queue_len = 3,
                            .task = packed,
                            .task_len = packed_len};
  CHECK_EQ_INT(0, temporal__job_encode(out, len, &h));
  free(packed);
  protobuf_c_message_free_unpacked(&input->base, NULL);
  temporal_payload_free(arg);
}

static temporal_result *decode_result(const uint8_t *bytes, size_t len) {
  temporal_result *r = NULL;
  CHECK_EQ_INT(0, temporal__result_deserialize(&r, bytes, len));
  return r;
}

static void check_string_result(const temporal_result *r, const char *expected) {
  if (r->kind != TEMPORAL__RESULT_VALUE)
    TEST_FAIL("expected a value, got kind %d (%s)", (int)r->kind,
              r->error ? temporal_application_error_message(r->error) : "");
  json_t *v = NULL;
  CHECK_EQ_INT(0, temporal_payload_to_json(&v, r->value));
  CHECK(json_is_string(v));
  CHECK_STR_EQ(expected, json_string_value(v));
  json_decref(v);
}

static struct {
  pthread_mutex_t mu;
  int calls;
  char last[128];
} hb = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int hb_sink(temporal__task *task, const temporal_payload *const *details, size_t count) {
  (void)task;
  pthread_mutex_lock(&hb.mu);
  hb.calls++;
  hb.last[0] = 0;
  if (count) {
    size_t len;
    const uint8_t *d = temporal_payload_data(details[0], &len);
    snprintf(hb.last, sizeof hb.last, "%.*s", (int)len, (const char *)d);
  }
  pthread_mutex_unlock(&hb.mu);
  return 0;
}

TEST(job_run_in_process_runs_the_activity) {
  temporal_shared_state_manager *m = new_manager(4, 0);
  temporal__ssm_set_heartbeat_sink(m, hb_sink);
  uint32_t slot;
  CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, (temporal__task *)(void *)&marker, &slot));
  uint8_t *job;
  size_t len;
  make_job(&job, &len, slot, temporal__ssm_slot_generation(m, slot), act_hello, "act_hello", "json/plain",
           "World");
  uint8_t *res = NULL;
  size_t res_len = 0;
  CHECK_EQ_INT(0, temporal_executor_run(&res, &res_len, m, job, len));
  temporal_result *r = decode_result(res, res_len);
  check_string_result(r, "Hello, World!");
  temporal_result_free(r);
  free(res);
  temporal__ssm_slot_release(m, slot);
  CHECK_EQ_INT(1, hb.calls);
  CHECK_STR_EQ("\"beat\"", hb.last);
  free(job);
  temporal_shared_state_manager_free(m);
}

TEST(job_run_undecodable_input_fails_decoding_arguments) {
  temporal_shared_state_manager *m = new_manager(4, 0);
  uint8_t *job;
  size_t len;
  make_job(&job, &len, 0, 0, act_hello, "act_hello", "weird/encoding", "zzz");
  uint8_t *res = NULL;
  size_t res_len = 0;
  CHECK_EQ_INT(0, temporal_executor_run(&res, &res_len, m, job, len));
  temporal_result *r = decode_result(res, res_len);
  CHECK_EQ_INT(TEMPORAL__RESULT_ERROR, r->kind);
  CHECK_STR_EQ("Failed decoding arguments", temporal_application_error_message(r->error));
  CHECK(!temporal_application_error_non_retryable(r->error));
  CHECK(temporal_application_error_cause(r->error) != NULL);
  temporal_result_free(r);
  free(res);
  free(job);
  temporal_shared_state_manager_free(m);
}

TEST(job_run_heartbeat_over_the_limit_is_too_big) {
  temporal_shared_state_manager *m = new_manager(4, 32);
  uint8_t *job;
  size_t len;
  make_job(&job, &len, 1, temporal__ssm_slot_generation(m, 1), act_big_heartbeat, "big", "json/plain", "x");
  uint8_t *res = NULL;
  size_t res_len = 0;
  CHECK_EQ_INT(0, temporal_executor_run(&res, &res_len, m, job, len));
  temporal_result *r = decode_result(res, res_len);
  check_string_result(r, "too big");
  temporal_result_free(r);
  free(res);
  free(job);
  temporal_shared_state_manager_free(m);
}

TEST(job_run_rejects_garbage_without_crashing) {
  temporal_shared_state_manager *m = new_manager(4, 0);
  uint8_t *res = NULL;
  size_t res_len = 0;
  CHECK_EQ_INT(TEMPORAL_EDECODE, temporal_executor_run(&res, &res_len, m, NULL, 0));
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_executor_run(&res, &res_len, NULL, (const uint8_t *)"x", 1));
  uint8_t *job;
  size_t len;
  make_job(&job, &len, 0, temporal__ssm_slot_generation(m, 0), act_hello, "act_hello", "json/plain", "W");
  /* Every truncation of a good job. */
  for (size_t cut = 0; cut < len; cut++) {
    int rc = temporal_executor_run(&res, &res_len, m, job, cut);
    if (rc != TEMPORAL_EDECODE) TEST_FAIL("truncated to %zu of %zu: rc %d", cut, len, rc);
    CHECK(res == NULL);
  }
  /* Trailing garbage. */
  uint8_t *longer = malloc(len + 1);
  memcpy(longer, job, len);
  longer[len] = 0;
  CHECK_EQ_INT(TEMPORAL_EDECODE, temporal_executor_run(&res, &res_len, m, longer, len + 1));
  CHECK_CONTAINS(temporal_error_last(), "trailing");
  /* Slot beyond the manager's. */
  memcpy(longer, job, len);
  longer[4] = 200;
  CHECK_EQ_INT(TEMPORAL_EDECODE, temporal_executor_run(&res, &res_len, m, longer, len));
  CHECK_CONTAINS(temporal_error_last(), "slot 200");
  /* Random bytes, with and without the magic. */
  srand(12345);
  uint8_t junk[512];
  for (int i = 0; i < 2000; i++) {
    size_t n = (size_t)(rand() % (int)sizeof junk);
    for (size_t k = 0; k < n; k++) junk[k] = (uint8_t)rand();
    if (i % 2 && n >= 4) memcpy(junk, "TCJ\x01", 4);
    CHECK(temporal_executor_run(&res, &res_len, m, junk, n) != 0);
  }
  /* Flipped bytes inside the task: either a clean decode error or a run. */
  for (size_t k = 0; k < len; k++) {
    memcpy(longer, job, len);
    longer[k] ^= 0x5a;
    temporal__job_header h;
    if (temporal__job_decode(&h, longer, len) != 0 || h.sync_fn != (uintptr_t)act_hello || h.slot >= 4)
      continue;
    if (temporal_executor_run(&res, &res_len, m, longer, len) == 0) free(res);
    res = NULL;
  }
  free(longer);
  free(job);
  temporal_shared_state_manager_free(m);
}

TEST(pool_runs_a_real_activity_with_heartbeats) {
  col_init();
  temporal_shared_state_manager *m = new_manager(4, 0);
  temporal__ssm_set_heartbeat_sink(m, hb_sink);
  temporal_executor *ex = new_pool(m, 1, 0, NULL); /* children run temporal_executor_run */
  CHECK_EQ_INT(0, temporal__ssm_attach(m));        /* after the fork, as in a worker program */
  uint32_t slot;
  CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, (temporal__task *)(void *)&marker, &slot));
  uint8_t *job;
  size_t len;
  make_job(&job, &len, slot, temporal__ssm_slot_generation(m, slot), act_hello, "act_hello", "json/plain",
           "Pool");
  submit_bytes(ex, 0, job, len);
  outcome *o = wait_job(0);
  CHECK(o->reason == NULL);
  temporal_result *r = decode_result(o->result, o->len);
  check_string_result(r, "Hello, Pool!");
  temporal_result_free(r);
  temporal__ssm_slot_release(m, slot); /* delivers the heartbeat if the monitor has not yet */
  pthread_mutex_lock(&hb.mu);
  CHECK_EQ_INT(1, hb.calls);
  CHECK_STR_EQ("\"beat\"", hb.last);
  pthread_mutex_unlock(&hb.mu);
  free(job);
  temporal_executor_free(ex);
  temporal__ssm_detach(m);
  temporal_shared_state_manager_free(m);
}

TEST(pool_cancellation_reaches_the_child_activity) {
  col_init();
  temporal_shared_state_manager *m = new_manager(4, 0);
  temporal__ssm_set_heartbeat_sink(m, hb_sink);
  temporal_executor *ex = new_pool(m, 1, 0, NULL);
  CHECK_EQ_INT(0, temporal__ssm_attach(m));
  temporal__task *task = (temporal__task *)(void *)&marker;
  uint32_t slot;
  CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, task, &slot));
  uint8_t *job;
  size_t len;
  make_job(&job, &len, slot, temporal__ssm_slot_generation(m, slot), act_wait, "act_wait", "json/plain", "x");
  temporal_executor_job *j = submit_bytes(ex, 0, job, len);
  temporal__job_listen(j, m, slot); /* what job_submit does */
  /* Wait for the first heartbeat: the activity is running. */
  int64_t deadline = temporal__monotonic_ns() + 5 * TEMPORAL_SECOND;
  for (;;) {
    pthread_mutex_lock(&hb.mu);
    int calls = hb.calls;
    pthread_mutex_unlock(&hb.mu);
    if (calls > 0) break;
    if (temporal__monotonic_ns() > deadline) TEST_FAIL("the activity never heartbeated");
    temporal__sleep_ns(TEMPORAL_MS);
  }
  int64_t t0 = temporal__monotonic_ns();
  /* What the worker's task does on a cancel request: the hook with the slot's hook data. */
  temporal__ssm_interrupt_hook(task, TEMPORAL__INTERRUPT_CANCEL, temporal__ssm_hook_data(m, slot));
  outcome *o = wait_job(0);
  int64_t latency = o->at - t0;
  CHECK(o->reason == NULL);
  temporal_result *r = decode_result(o->result, o->len);
  CHECK_EQ_INT(TEMPORAL__RESULT_CANCELLED, r->kind);
  temporal_result_free(r);
  printf("  cancel -> activity returned through the pool in %.3f ms\n", (double)latency / 1e6);
  CHECK(latency < 5 * TEMPORAL_SECOND); /* woken by the cancel, not by act_wait's own 10 s limit */
  temporal__ssm_slot_release(m, slot);
  free(job);
  temporal_executor_free(ex);
  temporal__ssm_detach(m);
  temporal_shared_state_manager_free(m);
}

/* An interrupt racing the finish of its job, over and over, on two threads: the slot listener's
 * reference keeps the job alive until the slot is released, so neither side touches freed memory
 * (ASan) or destroys a lock the other holds (TSan). */
static void race_done(void *data, const uint8_t *result, size_t len, const char *reason) {
  (void)result, (void)len, (void)reason;
  atomic_fetch_add((atomic_int *)data, 1);
}

typedef struct race_side {
  temporal_shared_state_manager *manager;
  uint32_t slot;
  temporal_executor_job *job;
  pthread_barrier_t *start; /* both sides leave it together (a barrier, not a spin: valgrind runs one
                               thread at a time, and a spinning one would starve the other) */
} race_side;

static void *race_interrupt(void *arg) {
  race_side *r = arg;
  pthread_barrier_wait(r->start);
  temporal__ssm_interrupt_hook((temporal__task *)(void *)&marker, TEMPORAL__INTERRUPT_CANCEL,
                               temporal__ssm_hook_data(r->manager, r->slot));
  return NULL;
}

static void *race_finish(void *arg) {
  race_side *r = arg;
  pthread_barrier_wait(r->start);
  temporal_executor_job_finish(r->job, (const uint8_t *)"x", 1);
  return NULL;
}

TEST(job_interrupt_racing_its_finish_is_safe) {
  temporal_shared_state_manager *m = new_manager(1, 0);
  atomic_int finished = 0;
  for (int i = 0; i < 300; i++) {
    uint32_t slot;
    CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, (temporal__task *)(void *)&marker, &slot));
    temporal_executor_job *job = NULL;
    CHECK_EQ_INT(0, temporal__job_new(&job, (const uint8_t *)"j", 1, race_done, &finished));
    temporal__job_listen(job, m, slot);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    race_side side = {.manager = m, .slot = slot, .job = job, .start = &start};
    pthread_t a, b;
    pthread_create(&a, NULL, race_interrupt, &side);
    pthread_create(&b, NULL, race_finish, &side);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    pthread_barrier_destroy(&start);
    temporal__ssm_slot_release(m, slot); /* drops the listener's reference: the job is freed here or before */
  }
  CHECK_EQ_INT(300, atomic_load(&finished));
  temporal_shared_state_manager_free(m);
}

/* ---- a user executor through the public vtable --------------------------------------------------------- */

typedef struct thread_executor {
  temporal_shared_state_manager *manager;
  pthread_t threads[8];
  int count;
  bool shut_down;
} thread_executor;

static thread_executor the_executor;

static void *run_job_thread(void *arg) {
  temporal_executor_job *job = arg;
  size_t len;
  const uint8_t *bytes = temporal_executor_job_bytes(job, &len);
  uint8_t *res = NULL;
  size_t res_len = 0;
  /* The "other" kind in its simplest form: run here, hand the bytes back. */
  if (temporal_executor_run(&res, &res_len, the_executor.manager, bytes, len) != 0)
    temporal_executor_job_abandon(job, temporal_error_last());
  else
    temporal_executor_job_finish(job, res, res_len);
  free(res);
  return NULL;
}

static int te_submit(void *self, temporal_executor_job *job) {
  thread_executor *te = self;
  if (te->count == 8) return TEMPORAL_ESTATE;
  return pthread_create(&te->threads[te->count++], NULL, run_job_thread, job) == 0 ? 0 : TEMPORAL_ESYSTEM;
}

static void te_shutdown(void *self) {
  thread_executor *te = self;
  for (int i = 0; i < te->count; i++) pthread_join(te->threads[i], NULL);
  te->shut_down = true;
}

static const temporal_executor_vtable te_vtable = {TEMPORAL_EXECUTOR_VTABLE_VERSION, te_submit, te_shutdown};

TEST(custom_executor_runs_jobs_through_the_vtable) {
  col_init();
  temporal_executor *ex = NULL;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_executor_new_custom(&ex, NULL, NULL));
  temporal_executor_vtable bad = {0, te_submit, te_shutdown};
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_executor_new_custom(&ex, &bad, NULL));
  the_executor.manager = new_manager(4, 0);
  temporal__ssm_set_heartbeat_sink(the_executor.manager, hb_sink);
  CHECK_EQ_INT(0, temporal_executor_new_custom(&ex, &te_vtable, &the_executor));
  CHECK_EQ_INT(TEMPORAL__EXECUTOR_OTHER, ex->kind);
  uint32_t slot;
  CHECK_EQ_INT(0, temporal__ssm_slot_acquire(the_executor.manager, (temporal__task *)(void *)&marker, &slot));
  uint8_t *job;
  size_t len;
  make_job(&job, &len, slot, temporal__ssm_slot_generation(the_executor.manager, slot), act_hello,
           "act_hello", "json/plain", "Thread");
  submit_bytes(ex, 0, job, len);
  submit(ex, 1, "not a job");
  outcome *o = wait_job(0);
  temporal_result *r = decode_result(o->result, o->len);
  check_string_result(r, "Hello, Thread!");
  temporal_result_free(r);
  CHECK_CONTAINS(wait_job(1)->reason, "not a temporal-c job");
  temporal_executor_free(ex);
  CHECK(the_executor.shut_down);
  temporal__ssm_slot_release(the_executor.manager, slot);
  free(job);
  temporal_shared_state_manager_free(the_executor.manager);
}

/* What the child's context calls report: the slot's reasons and the worker's shutdown. */
static temporal_result *act_context(temporal_activity *activity, const temporal_args *args) {
  (void)args;
  temporal_cancellation_details d = temporal_activity_cancellation_details(activity);
  bool shutdown = temporal_activity_is_worker_shutdown(activity);
  int wait_rc = temporal_activity_wait_for_worker_shutdown(activity, 10 * TEMPORAL_MS);
  char *s =
      temporal__asprintf("cancel=%d paused=%d reset=%d shutdown=%d wait=%d cancelled=%d", d.cancel_requested,
                         d.paused, d.reset, shutdown, wait_rc, temporal_activity_is_cancelled(activity));
  temporal_result *r = temporal_result_string(s);
  free(s);
  return r;
}

static void run_context_job(temporal_shared_state_manager *m, uint32_t slot, const char *expected) {
  uint8_t *job;
  size_t len;
  make_job(&job, &len, slot, temporal__ssm_slot_generation(m, slot), act_context, "ctx", "json/plain", "x");
  uint8_t *res = NULL;
  size_t res_len = 0;
  CHECK_EQ_INT(0, temporal_executor_run(&res, &res_len, m, job, len));
  temporal_result *r = decode_result(res, res_len);
  check_string_result(r, expected);
  temporal_result_free(r);
  free(res);
  free(job);
}

TEST(job_run_context_calls_read_the_slot_and_the_worker_state) {
  temporal_shared_state_manager *m = new_manager(2, 0);
  temporal__ssm_set_heartbeat_sink(m, hb_sink);
  uint32_t slot;
  CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, (temporal__task *)(void *)&marker, &slot));
  run_context_job(m, slot, "cancel=0 paused=0 reset=0 shutdown=0 wait=-4 cancelled=0");
  temporal__ssm_slot_interrupt(m, slot, TEMPORAL__INTERRUPT_PAUSE | TEMPORAL__INTERRUPT_RESET);
  temporal__ssm_set_worker_shutdown(m);
  run_context_job(m, slot, "cancel=0 paused=1 reset=1 shutdown=1 wait=0 cancelled=1");
  temporal__ssm_slot_release(m, slot);
  temporal_shared_state_manager_free(m);
}
