/* The shared state manager: slots, interrupts and waits across fork, heartbeat delivery through
 * the monitor thread (with a test sink instead of a worker task). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "converter/converter_internal.h"
#include "core/core.h"
#include "executor/shared_state.h"
#include "test.h"
#include "activity/task.h"

/* Stand-ins for worker tasks: the manager only stores and compares them. */
static temporal__task *fake_task(uintptr_t n) {
  return (temporal__task *)(void *)(n * 16);
}

/* The latest manager, kept reachable: a test's forked child exits without freeing what it inherited,
 * and under valgrind that would read as the child's leak. */
static temporal_shared_state_manager *volatile latest_manager;

static temporal_shared_state_manager *new_manager(unsigned int slots, size_t max_details) {
  temporal_shared_state_manager_options o = TEMPORAL_SHARED_STATE_MANAGER_OPTIONS_INIT;
  o.max_activities = slots;
  o.max_heartbeat_details_size = max_details;
  temporal_shared_state_manager *m = NULL;
  CHECK_EQ_INT(0, temporal_shared_state_manager_new(&m, &o));
  CHECK(m != NULL);
  latest_manager = m;
  return m;
}

/* Waits for a forked child; returns its exit status (or 100 + signal). */
static int wait_child(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) TEST_FAIL("waitpid: %s", strerror(errno));
  if (WIFSIGNALED(status)) return 100 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

/* ---- a heartbeat sink that records what the monitor delivers -------------------------------------- */

static struct {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  int calls;
  temporal__task *task;
  char last[256];
  char per_task[8][64]; /* the last detail each fake task got */
  size_t count;
} sink = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int test_sink(temporal__task *task, const temporal_payload *const *details, size_t count) {
  pthread_mutex_lock(&sink.mu);
  sink.calls++;
  sink.task = task;
  sink.count = count;
  sink.last[0] = '\0';
  if (count) {
    size_t len = 0;
    const uint8_t *data = temporal_payload_data(details[0], &len);
    snprintf(sink.last, sizeof sink.last, "%.*s", (int)len, (const char *)data);
    uintptr_t idx = (uintptr_t)(void *)task / 16;
    if (idx < 8) snprintf(sink.per_task[idx], sizeof sink.per_task[idx], "%.63s", sink.last);
  }
  pthread_cond_broadcast(&sink.cond);
  pthread_mutex_unlock(&sink.mu);
  return 0;
}

static void sink_init(void) {
  temporal__cond_init(&sink.cond);
  sink.calls = 0;
}

/* Waits until the sink saw `calls` calls (5 s at most). */
static void sink_wait(int calls) {
  struct timespec deadline = temporal__deadline_ts(5 * TEMPORAL_SECOND);
  pthread_mutex_lock(&sink.mu);
  while (sink.calls < calls)
    if (pthread_cond_timedwait(&sink.cond, &sink.mu, &deadline) == ETIMEDOUT) break;
  int got = sink.calls;
  pthread_mutex_unlock(&sink.mu);
  if (got < calls) TEST_FAIL("heartbeat sink: expected %d calls, got %d", calls, got);
}

/* Encodes one string detail the way a child's heartbeat does. */
static void encode_detail(uint8_t **out, size_t *len, const char *s) {
  temporal_payload *p = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_string(&p, s));
  const temporal_payload *list[1] = {p};
  CHECK_EQ_INT(0, temporal__payloads_serialize(out, len, list, 1));
  temporal_payload_free(p);
}

/* ---- tests ------------------------------------------------------------------------------------------ */

TEST(ssm_options_validated) {
  temporal_shared_state_manager *m = NULL;
  temporal_shared_state_manager_options o = TEMPORAL_SHARED_STATE_MANAGER_OPTIONS_INIT;
  o.version = 0;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_shared_state_manager_new(&m, &o));
  o.version = TEMPORAL_SHARED_STATE_MANAGER_OPTIONS_VERSION;
  o.max_activities = 1000000;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_shared_state_manager_new(&m, &o));
  CHECK_CONTAINS(temporal_error_last(), "max_activities");
  CHECK(m == NULL);
  CHECK_EQ_INT(0, temporal_shared_state_manager_new(&m, NULL));
  CHECK_EQ_INT(256, temporal__ssm_slot_count(m));
  CHECK_EQ_INT(256 * 1024, temporal__ssm_max_details(m));
  temporal_shared_state_manager_free(m);
  temporal_shared_state_manager_free(NULL);
}

TEST(ssm_slots_acquire_release_exhaustion) {
  temporal_shared_state_manager *m = new_manager(3, 0);
  uint32_t s[3], extra;
  for (int i = 0; i < 3; i++)
    CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, fake_task((uintptr_t)i + 1), &s[i]));
  CHECK(s[0] != s[1] && s[1] != s[2] && s[0] != s[2]);
  CHECK_EQ_INT(TEMPORAL_ESTATE, temporal__ssm_slot_acquire(m, fake_task(9), &extra));
  CHECK_CONTAINS(temporal_error_last(), "all 3 slots are in use");
  uint32_t gen = temporal__ssm_slot_generation(m, s[1]);
  temporal__ssm_slot_release(m, s[1]);
  CHECK(temporal__ssm_slot_generation(m, s[1]) != gen);
  CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, fake_task(9), &extra));
  CHECK_EQ_INT(s[1], extra);
  CHECK(temporal__ssm_slot_generation(m, extra) != gen);
  /* A fresh slot carries nothing of its previous use. */
  CHECK_EQ_INT(0, temporal__ssm_slot_interrupts(m, extra, temporal__ssm_slot_generation(m, extra)));
  for (int i = 0; i < 3; i++) temporal__ssm_slot_release(m, s[i]);
  temporal__ssm_slot_release(m, 77); /* out of range: ignored */
  temporal_shared_state_manager_free(m);
}

TEST(ssm_interrupt_visible_across_fork) {
  temporal_shared_state_manager *m = new_manager(4, 0);
  uint32_t slot;
  CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, fake_task(1), &slot));
  uint32_t gen = temporal__ssm_slot_generation(m, slot);
  pid_t pid = fork();
  if (pid == 0) {
    int64_t deadline = temporal__monotonic_ns() + 5 * TEMPORAL_SECOND;
    while (temporal__ssm_slot_interrupts(m, slot, gen) == 0 && temporal__monotonic_ns() < deadline)
      temporal__sleep_ns(TEMPORAL_MS);
    _exit(temporal__ssm_slot_interrupts(m, slot, gen) ==
                  (TEMPORAL__INTERRUPT_CANCEL | TEMPORAL__INTERRUPT_PAUSE)
              ? 0
              : 1);
  }
  temporal__sleep_ns(50 * TEMPORAL_MS);
  temporal__ssm_slot_interrupt(m, slot, TEMPORAL__INTERRUPT_CANCEL | TEMPORAL__INTERRUPT_PAUSE);
  CHECK_EQ_INT(0, wait_child(pid));
  temporal__ssm_slot_release(m, slot);
  temporal_shared_state_manager_free(m);
}

TEST(ssm_wait_for_cancelled_times_out_then_wakes_across_processes) {
  temporal_shared_state_manager *m = new_manager(4, 0);
  uint32_t slot;
  CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, fake_task(1), &slot));
  uint32_t gen = temporal__ssm_slot_generation(m, slot);
  pid_t pid = fork();
  if (pid == 0) {
    int64_t t0 = temporal__monotonic_ns();
    if (temporal__ssm_slot_wait(m, slot, gen, 100 * TEMPORAL_MS, NULL) != TEMPORAL_ETIMEDOUT) _exit(1);
    int64_t waited = temporal__monotonic_ns() - t0;
    if (waited < 100 * TEMPORAL_MS || waited > 2 * TEMPORAL_SECOND) _exit(2);
    /* The parent interrupts ~300 ms after the fork: wake well before the 10 s limit. */
    if (temporal__ssm_slot_wait(m, slot, gen, 10 * TEMPORAL_SECOND, NULL) != 0) _exit(3);
    if (temporal__monotonic_ns() - t0 > 5 * TEMPORAL_SECOND) _exit(4);
    _exit(0);
  }
  temporal__sleep_ns(300 * TEMPORAL_MS);
  temporal__ssm_slot_interrupt(m, slot, TEMPORAL__INTERRUPT_CANCEL);
  CHECK_EQ_INT(0, wait_child(pid));
  temporal__ssm_slot_release(m, slot);
  temporal_shared_state_manager_free(m);
}

TEST(ssm_release_ends_waits_and_stale_writes) {
  temporal_shared_state_manager *m = new_manager(1, 0);
  uint32_t slot;
  CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, fake_task(1), &slot));
  uint32_t gen = temporal__ssm_slot_generation(m, slot);
  pid_t pid = fork();
  if (pid == 0) _exit(temporal__ssm_slot_wait(m, slot, gen, 0, NULL) == 0 ? 0 : 1); /* no limit */
  temporal__sleep_ns(100 * TEMPORAL_MS);
  temporal__ssm_slot_release(m, slot);
  CHECK_EQ_INT(0, wait_child(pid));
  /* The job's generation is stale now, even once the slot is reused. */
  uint32_t again;
  CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, fake_task(2), &again));
  CHECK_EQ_INT(slot, again);
  uint8_t byte = 1;
  CHECK_EQ_INT(TEMPORAL_ESTATE, temporal__ssm_slot_heartbeat(m, slot, gen, &byte, 1));
  CHECK(temporal__ssm_slot_interrupts(m, slot, gen) & TEMPORAL__INTERRUPT_SHUTDOWN);
  CHECK_EQ_INT(0, temporal__ssm_slot_interrupts(m, again, temporal__ssm_slot_generation(m, again)));
  temporal__ssm_slot_release(m, again);
  temporal_shared_state_manager_free(m);
}

TEST(ssm_heartbeat_from_child_reaches_the_task_through_the_monitor) {
  sink_init();
  temporal_shared_state_manager *m = new_manager(8, 0);
  temporal__ssm_set_heartbeat_sink(m, test_sink);
  uint32_t slot;
  CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, fake_task(5), &slot));
  uint32_t gen = temporal__ssm_slot_generation(m, slot);
  int go[2];
  CHECK_EQ_INT(0, pipe(go));
  /* Fork while single-threaded (as the zygote does), then start the monitor. */
  pid_t pid = fork();
  if (pid == 0) {
    char b;
    if (read(go[0], &b, 1) != 1) _exit(2);
    uint8_t *bytes;
    size_t len;
    encode_detail(&bytes, &len, "progress 1");
    int rc = temporal__ssm_slot_heartbeat(m, slot, gen, bytes, len);
    free(bytes);
    _exit(rc == 0 ? 0 : 1);
  }
  CHECK_EQ_INT(0, temporal__ssm_attach(m));
  CHECK_EQ_INT(TEMPORAL_ESTATE, temporal__ssm_attach(m));
  CHECK_EQ_INT(1, write(go[1], "g", 1));
  CHECK_EQ_INT(0, wait_child(pid));
  close(go[0]);
  close(go[1]);
  sink_wait(1);
  pthread_mutex_lock(&sink.mu);
  CHECK(sink.task == fake_task(5));
  CHECK_EQ_INT(1, sink.count);
  CHECK_STR_EQ("\"progress 1\"", sink.last);
  pthread_mutex_unlock(&sink.mu);
  /* Nothing new: releasing delivers nothing more. */
  temporal__ssm_slot_release(m, slot);
  temporal__sleep_ns(20 * TEMPORAL_MS);
  pthread_mutex_lock(&sink.mu);
  CHECK_EQ_INT(1, sink.calls);
  pthread_mutex_unlock(&sink.mu);
  temporal__ssm_detach(m);
  temporal__ssm_detach(m); /* idempotent */
  temporal_shared_state_manager_free(m);
}

TEST(ssm_release_flushes_the_last_heartbeat_without_the_monitor) {
  sink_init();
  temporal_shared_state_manager *m = new_manager(2, 0);
  temporal__ssm_set_heartbeat_sink(m, test_sink);
  uint32_t slot;
  CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, fake_task(3), &slot));
  uint32_t gen = temporal__ssm_slot_generation(m, slot);
  pid_t pid = fork();
  if (pid == 0) {
    int rc = 0;
    for (int i = 1; i <= 3 && rc == 0; i++) {
      char text[32];
      snprintf(text, sizeof text, "step %d", i);
      uint8_t *bytes;
      size_t len;
      encode_detail(&bytes, &len, text);
      rc = temporal__ssm_slot_heartbeat(m, slot, gen, bytes, len);
      free(bytes);
    }
    _exit(rc == 0 ? 0 : 1);
  }
  CHECK_EQ_INT(0, wait_child(pid));
  temporal__ssm_slot_release(m, slot);
  pthread_mutex_lock(&sink.mu);
  CHECK_EQ_INT(1, sink.calls); /* last value wins */
  CHECK_STR_EQ("\"step 3\"", sink.last);
  pthread_mutex_unlock(&sink.mu);
  temporal_shared_state_manager_free(m);
}

TEST(ssm_heartbeat_too_big_is_refused) {
  temporal_shared_state_manager *m = new_manager(2, 64);
  temporal__ssm_set_heartbeat_sink(m, test_sink); /* release flushes the accepted (undecodable) bytes */
  uint32_t slot;
  CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, fake_task(1), &slot));
  uint32_t gen = temporal__ssm_slot_generation(m, slot);
  uint8_t big[65] = {0};
  CHECK_EQ_INT(TEMPORAL_ETOOBIG, temporal__ssm_slot_heartbeat(m, slot, gen, big, sizeof big));
  CHECK_CONTAINS(temporal_error_last(), "max_heartbeat_details_size");
  CHECK_EQ_INT(0, temporal__ssm_slot_heartbeat(m, slot, gen, big, 64));
  temporal__ssm_slot_release(m, slot);
  temporal_shared_state_manager_free(m);
}

static struct {
  int calls;
  unsigned int reasons;
} heard;

static void listener(void *data, unsigned int reasons) {
  CHECK(data == &heard);
  heard.calls++;
  heard.reasons |= reasons;
}

TEST(ssm_interrupt_hook_reaches_only_the_task_that_holds_the_slot) {
  temporal_shared_state_manager *m = new_manager(1, 0);
  uint32_t slot;
  CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, fake_task(1), &slot));
  void *hook_data = temporal__ssm_hook_data(m, slot);
  temporal__ssm_slot_set_listener(m, slot, listener, NULL, &heard);
  temporal__ssm_interrupt_hook(fake_task(1), TEMPORAL__INTERRUPT_CANCEL, hook_data);
  CHECK_EQ_INT(1, heard.calls);
  CHECK_EQ_INT(TEMPORAL__INTERRUPT_CANCEL, heard.reasons);
  CHECK_EQ_INT(TEMPORAL__INTERRUPT_CANCEL,
               temporal__ssm_slot_interrupts(m, slot, temporal__ssm_slot_generation(m, slot)));
  temporal__ssm_slot_release(m, slot);
  /* A late hook of the old task, with the slot now held by another task, changes nothing. */
  CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, fake_task(2), &slot));
  temporal__ssm_interrupt_hook(fake_task(1), TEMPORAL__INTERRUPT_RESET, hook_data);
  CHECK_EQ_INT(1, heard.calls);
  CHECK_EQ_INT(0, temporal__ssm_slot_interrupts(m, slot, temporal__ssm_slot_generation(m, slot)));
  temporal__ssm_slot_release(m, slot);
  temporal_shared_state_manager_free(m);
}

/* Many heartbeats racing the monitor: every delivery decodes, and the last one always arrives. */
TEST(ssm_heartbeat_storm_from_several_children) {
  sink_init();
  temporal_shared_state_manager *m = new_manager(4, 0);
  temporal__ssm_set_heartbeat_sink(m, test_sink);
  int go[2];
  CHECK_EQ_INT(0, pipe(go));
  uint32_t slots[4], gens[4];
  pid_t pids[4];
  for (int i = 0; i < 4; i++) {
    CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, fake_task((uintptr_t)i + 1), &slots[i]));
    gens[i] = temporal__ssm_slot_generation(m, slots[i]);
  }
  for (int i = 0; i < 4; i++) {
    pids[i] = fork();
    if (pids[i] == 0) {
      char b;
      if (read(go[0], &b, 1) != 1) _exit(2);
      for (int k = 0; k < 2000; k++) {
        char text[32];
        snprintf(text, sizeof text, "c%d k%d", i, k);
        uint8_t *bytes;
        size_t len;
        encode_detail(&bytes, &len, text);
        if (temporal__ssm_slot_heartbeat(m, slots[i], gens[i], bytes, len) != 0) _exit(1);
        free(bytes);
      }
      _exit(0);
    }
  }
  /* Children forked while single-threaded; now the monitor races them. */
  CHECK_EQ_INT(0, temporal__ssm_attach(m));
  CHECK_EQ_INT(4, write(go[1], "gggg", 4));
  for (int i = 0; i < 4; i++) CHECK_EQ_INT(0, wait_child(pids[i]));
  close(go[0]);
  close(go[1]);
  for (int i = 0; i < 4; i++) {
    temporal__ssm_slot_release(m, slots[i]); /* flushes whatever the monitor has not delivered */
  }
  temporal__ssm_detach(m);
  pthread_mutex_lock(&sink.mu);
  CHECK(sink.calls >= 4);
  for (int i = 0; i < 4; i++) {
    char want[32];
    snprintf(want, sizeof want, "\"c%d k1999\"", i);
    CHECK_STR_EQ(want, sink.per_task[i + 1]);
  }
  pthread_mutex_unlock(&sink.mu);
  temporal_shared_state_manager_free(m);
}

/* The same slot lock between threads of one process, where TSan can see both sides. */
typedef struct writer_arg {
  temporal_shared_state_manager *m;
  uint32_t slot, gen;
  int id;
} writer_arg;

static void *writer_thread(void *p) {
  writer_arg *w = p;
  for (int k = 0; k < 500; k++) {
    char text[32];
    snprintf(text, sizeof text, "t%d k%d", w->id, k);
    uint8_t *bytes;
    size_t len;
    encode_detail(&bytes, &len, text);
    CHECK_EQ_INT(0, temporal__ssm_slot_heartbeat(w->m, w->slot, w->gen, bytes, len));
    free(bytes);
  }
  return NULL;
}

TEST(ssm_heartbeat_threads_race_the_monitor) {
  sink_init();
  temporal_shared_state_manager *m = new_manager(4, 0);
  temporal__ssm_set_heartbeat_sink(m, test_sink);
  CHECK_EQ_INT(0, temporal__ssm_attach(m));
  writer_arg args[4];
  pthread_t threads[4];
  for (int i = 0; i < 4; i++) {
    args[i].m = m;
    args[i].id = i;
    CHECK_EQ_INT(0, temporal__ssm_slot_acquire(m, fake_task((uintptr_t)i + 1), &args[i].slot));
    args[i].gen = temporal__ssm_slot_generation(m, args[i].slot);
  }
  for (int i = 0; i < 4; i++) CHECK_EQ_INT(0, pthread_create(&threads[i], NULL, writer_thread, &args[i]));
  for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);
  for (int i = 0; i < 4; i++) temporal__ssm_slot_release(m, args[i].slot);
  pthread_mutex_lock(&sink.mu);
  for (int i = 0; i < 4; i++) {
    char want[32];
    snprintf(want, sizeof want, "\"t%d k499\"", i);
    CHECK_STR_EQ(want, sink.per_task[i + 1]);
  }
  pthread_mutex_unlock(&sink.mu);
  temporal_shared_state_manager_free(m); /* joins the monitor itself */
}

TEST(ssm_worker_shutdown_reaches_children_and_resets_on_attach) {
  temporal_shared_state_manager *m = new_manager(2, 0);
  temporal__ssm_set_heartbeat_sink(m, test_sink);
  CHECK(!temporal__ssm_worker_shutdown(m));
  pid_t pid = fork();
  if (pid == 0) {
    if (temporal__ssm_wait_worker_shutdown(m, 50 * TEMPORAL_MS, NULL) != TEMPORAL_ETIMEDOUT) _exit(1);
    if (temporal__ssm_wait_worker_shutdown(m, 10 * TEMPORAL_SECOND, NULL) != 0) _exit(2);
    _exit(temporal__ssm_worker_shutdown(m) ? 0 : 3);
  }
  temporal__sleep_ns(200 * TEMPORAL_MS);
  temporal__ssm_set_worker_shutdown(m);
  CHECK_EQ_INT(0, wait_child(pid));
  CHECK(temporal__ssm_worker_shutdown(m));
  temporal__ssm_set_worker_shutdown(NULL);  /* no-op */
  CHECK_EQ_INT(0, temporal__ssm_attach(m)); /* the next worker starts out running */
  CHECK(!temporal__ssm_worker_shutdown(m));
  temporal_shared_state_manager_free(m);
}
