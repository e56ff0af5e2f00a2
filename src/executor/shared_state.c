/* The shared state manager: per-activity state shared between the worker and the processes that
 * run its activities. This file makes the shared mapping (its layout, and why futexes:
 * shared_state_internal.h) and is the worker's side of it: which task holds which slot, the
 * interrupts the worker carries into a slot, the listeners that hear them, the shutdown flag, and
 * the monitor thread. The running side is shared_state_run.c.
 *
 * The running side announces heartbeats by setting the slot's dirty bit and writing to an eventfd;
 * the monitor thread (started by attach) reads the details of dirty slots and hands them to the
 * slot's task. Everything the worker keeps about slots (which task holds one, what was delivered)
 * lives in ordinary worker memory, never in the mapping a buggy child could scribble on. */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "converter/converter_internal.h"
#include "core/core.h"
#include "core/options.h"
#include "executor/shared_state_internal.h"
#include "activity/task.h"

#define DEFAULT_MAX_ACTIVITIES 256u
#define MAX_ACTIVITIES 65536u
#define DEFAULT_MAX_DETAILS ((size_t)256 * 1024)
#define MAX_DETAILS ((size_t)64 * 1024 * 1024)
#define SLOT_ALIGN 64u
#define MONITOR_TICK_MS 1000 /* the monitor re-checks its stop flag at least this often */

/* The worker's only way into a slot's lock: it never waits on one (shared_state_internal.h). */
static bool slot_trylock(temporal__ssm_slot *s) {
  uint32_t expected = 0;
  return atomic_compare_exchange_strong(&s->lock, &expected, 1);
}

/* ---- creation ----------------------------------------------------------------------------------- */

int temporal_shared_state_manager_new(temporal_shared_state_manager **out,
                                      const temporal_shared_state_manager_options *opts) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "shared_state_manager_new: out is NULL");
  *out = NULL;
  temporal_shared_state_manager_options o;
  if (TEMPORAL__OPTIONS_READ(&o, opts) < 0) return TEMPORAL_EINVAL;
  uint32_t count = o.max_activities ? o.max_activities : DEFAULT_MAX_ACTIVITIES;
  size_t max_details = o.max_heartbeat_details_size ? o.max_heartbeat_details_size : DEFAULT_MAX_DETAILS;
  if (count > MAX_ACTIVITIES)
    return temporal__error(TEMPORAL_EINVAL, "shared_state_manager: max_activities %u exceeds %u", count,
                           MAX_ACTIVITIES);
  if (max_details > MAX_DETAILS)
    return temporal__error(TEMPORAL_EINVAL,
                           "shared_state_manager: max_heartbeat_details_size %zu exceeds %zu", max_details,
                           MAX_DETAILS);

  temporal_shared_state_manager *m = calloc(1, sizeof *m);
  if (!m) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  m->count = count;
  m->max_details = max_details;
  m->event_fd = -1;
  m->map = MAP_FAILED;
  m->sink = temporal__task_record_heartbeat;
  m->dirty_words = (count + 63) / 64;
  size_t head = (sizeof(temporal__ssm_header) + m->dirty_words * sizeof(uint64_t) + SLOT_ALIGN - 1) /
                SLOT_ALIGN * SLOT_ALIGN;
  m->stride = (sizeof(temporal__ssm_slot) + max_details + SLOT_ALIGN - 1) / SLOT_ALIGN * SLOT_ALIGN;
  m->map_len = head + m->stride * count;

  int rc = TEMPORAL_ENOMEM;
  m->local = calloc(count, sizeof *m->local);
  m->buf = malloc(max_details ? max_details : 1);
  if (!m->local || !m->buf) {
    temporal__error(rc, "out of memory");
    goto fail;
  }
  /* MAP_NORESERVE: pages of unused details buffers are never touched, so never committed. */
  m->map = mmap(NULL, m->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m->map == MAP_FAILED) {
    rc = temporal__error(TEMPORAL_ESYSTEM, "shared_state_manager: mmap of %zu bytes failed: %s", m->map_len,
                         strerror(errno));
    goto fail;
  }
  m->header = (temporal__ssm_header *)(void *)m->map;
  m->dirty = (_Atomic uint64_t *)(void *)(m->map + sizeof(temporal__ssm_header));
  m->slots = m->map + head;
  /* Non-blocking: a child's heartbeat must never stall on the worker, and the monitor drains it. */
  m->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (m->event_fd < 0) {
    rc = temporal__error(TEMPORAL_ESYSTEM, "shared_state_manager: eventfd failed: %s", strerror(errno));
    goto fail;
  }
  pthread_mutex_init(&m->lock, NULL);
  pthread_mutex_init(&m->hook_lock, NULL);
  for (uint32_t i = 0; i < count; i++) {
    m->local[i].manager = m;
    m->local[i].index = i;
  }
  *out = m;
  return 0;

fail:
  if (m->map != MAP_FAILED) munmap(m->map, m->map_len);
  free(m->local);
  free(m->buf);
  free(m);
  return rc;
}

void temporal_shared_state_manager_free(temporal_shared_state_manager *manager) {
  if (!manager) return;
  temporal__ssm_detach(manager);
  pthread_mutex_destroy(&manager->lock);
  pthread_mutex_destroy(&manager->hook_lock);
  munmap(manager->map, manager->map_len);
  close(manager->event_fd);
  free(manager->local);
  free(manager->buf);
  free(manager);
}

uint32_t temporal__ssm_slot_count(const temporal_shared_state_manager *manager) {
  return manager->count;
}

int temporal__ssm_event_fd(const temporal_shared_state_manager *manager) {
  return manager->event_fd;
}

size_t temporal__ssm_max_details(const temporal_shared_state_manager *manager) {
  return manager->max_details;
}

uint32_t temporal__ssm_slot_generation(const temporal_shared_state_manager *manager, uint32_t slot) {
  if (slot >= manager->count) return 0;
  return atomic_load(&temporal__ssm_slot_at(manager, slot)->generation);
}

void temporal__ssm_set_heartbeat_sink(temporal_shared_state_manager *manager,
                                      temporal__ssm_heartbeat_sink sink) {
  pthread_mutex_lock(&manager->lock);
  manager->sink = sink ? sink : temporal__task_record_heartbeat;
  pthread_mutex_unlock(&manager->lock);
}

/* ---- worker side: slots ------------------------------------------------------------------------- */

int temporal__ssm_slot_acquire(temporal_shared_state_manager *manager, temporal__task *task,
                               uint32_t *slot_out) {
  if (!manager || !slot_out) return temporal__error(TEMPORAL_EINVAL, "ssm_slot_acquire: NULL argument");
  pthread_mutex_lock(&manager->lock);
  uint32_t n = manager->count;
  for (uint32_t k = 0; k < n; k++) {
    uint32_t i = (manager->next_free + k) % n;
    temporal__ssm_local *rec = &manager->local[i];
    if (rec->in_use) continue;
    temporal__ssm_slot *s = temporal__ssm_slot_at(manager, i);
    /* A previous user may have died holding the lock or mid-write: start from a clean slot. */
    atomic_store(&s->lock, 0);
    s->seq = 0;
    s->len = 0;
    atomic_store(&s->interrupts, 0);
    atomic_fetch_and(&manager->dirty[i / 64], ~((uint64_t)1 << (i % 64)));
    rec->generation = atomic_fetch_add(&s->generation, 1) + 1;
    rec->in_use = true;
    rec->task = task;
    rec->seen_seq = 0;
    pthread_mutex_lock(&manager->hook_lock);
    rec->hook_task = task;
    pthread_mutex_unlock(&manager->hook_lock);
    manager->next_free = (i + 1) % n;
    pthread_mutex_unlock(&manager->lock);
    *slot_out = i;
    return 0;
  }
  pthread_mutex_unlock(&manager->lock);
  return temporal__error(
      TEMPORAL_ESTATE,
      "shared state manager: all %u slots are in use (raise max_activities to at least the "
      "worker's activity slots)",
      n);
}

/* Hands the slot's newest details to its task, if they moved since the last delivery. Called
 * with manager->lock held. */
static void deliver_locked(temporal_shared_state_manager *m, uint32_t index) {
  temporal__ssm_local *rec = &m->local[index];
  if (!rec->in_use || !rec->task) return;
  temporal__ssm_slot *s = temporal__ssm_slot_at(m, index);
  /* A writer holds it: it sets the dirty bit and signals again after unlocking. A writer that died
   * holding it wrote torn details anyway. */
  if (!slot_trylock(s)) return;
  uint64_t seq = s->seq;
  size_t len = (size_t)s->len;
  if (seq == rec->seen_seq || atomic_load(&s->generation) != rec->generation || len > m->max_details) {
    temporal__ssm_unlock(s);
    return;
  }
  memcpy(m->buf, temporal__ssm_details(s), len);
  rec->seen_seq = seq;
  temporal__ssm_unlock(s);

  temporal_payload **payloads = NULL;
  size_t count = 0;
  if (temporal__payloads_deserialize(&payloads, &count, m->buf, len) != 0) {
    TLOG_WARN("shared state manager: slot %u: heartbeat details do not decode: %s", index,
              temporal_error_last());
    return;
  }
  m->sink(rec->task, (const temporal_payload *const *)payloads, count);
  temporal__payload_array_free(payloads, count);
}

void temporal__ssm_slot_release(temporal_shared_state_manager *manager, uint32_t slot) {
  if (!manager || slot >= manager->count) return;
  temporal__ssm_local *rec = &manager->local[slot];
  pthread_mutex_lock(&manager->hook_lock);
  rec->hook_task = NULL;
  temporal__ssm_listener_drop drop = rec->listener_drop;
  void *drop_data = rec->listener_data;
  rec->listener = NULL;
  rec->listener_drop = NULL;
  rec->listener_data = NULL;
  pthread_mutex_unlock(&manager->hook_lock);
  /* No hook can reach the listener's data any more: its owner may let go of it. */
  if (drop) drop(drop_data);

  pthread_mutex_lock(&manager->lock);
  if (rec->in_use) {
    /* Details the activity recorded just before it ended must reach the task before its outcome
     * (they ride on a failure report). */
    deliver_locked(manager, slot);
    temporal__ssm_slot *s = temporal__ssm_slot_at(manager, slot);
    /* From here on the job's generation is stale: late writes fail and waiters return. */
    atomic_fetch_add(&s->generation, 1);
    temporal__ssm_wake_all(&s->interrupts);
    rec->in_use = false;
    rec->task = NULL;
  }
  pthread_mutex_unlock(&manager->lock);
}

void temporal__ssm_slot_interrupt(temporal_shared_state_manager *manager, uint32_t slot,
                                  unsigned int reasons) {
  if (!manager || slot >= manager->count || reasons == 0) return;
  temporal__ssm_slot *s = temporal__ssm_slot_at(manager, slot);
  atomic_fetch_or(&s->interrupts, (uint32_t)reasons);
  temporal__ssm_wake_all(&s->interrupts);
}

void *temporal__ssm_hook_data(temporal_shared_state_manager *manager, uint32_t slot) {
  return slot < manager->count ? &manager->local[slot] : NULL;
}

void temporal__ssm_slot_set_listener(temporal_shared_state_manager *manager, uint32_t slot,
                                     temporal__ssm_listener listener, temporal__ssm_listener_drop drop,
                                     void *data) {
  if (slot >= manager->count) {
    if (drop) drop(data);
    return;
  }
  /* manager->lock too (same order as acquire): it publishes what the caller wrote before (the
   * task's interrupt hook) to the monitor thread, whose heartbeat deliveries lead to the
   * interrupts that read it. The real path goes through another process, invisible to TSan. */
  pthread_mutex_lock(&manager->lock);
  pthread_mutex_lock(&manager->hook_lock);
  temporal__ssm_local *rec = &manager->local[slot];
  temporal__ssm_listener_drop old_drop = rec->listener_drop;
  void *old_data = rec->listener_data;
  rec->listener = listener;
  rec->listener_drop = drop;
  rec->listener_data = data;
  pthread_mutex_unlock(&manager->hook_lock);
  pthread_mutex_unlock(&manager->lock);
  if (old_drop) old_drop(old_data);
}

void temporal__ssm_interrupt_hook(temporal__task *task, unsigned int reasons, void *data) {
  temporal__ssm_local *rec = data;
  if (!rec) return;
  temporal_shared_state_manager *m = rec->manager;
  pthread_mutex_lock(&m->hook_lock);
  /* The slot may have been released (and even reused) since the hook was set. */
  if (rec->hook_task == task) {
    temporal__ssm_slot_interrupt(m, rec->index, reasons);
    if (rec->listener) rec->listener(rec->listener_data, reasons);
  }
  pthread_mutex_unlock(&m->hook_lock);
}

void temporal__ssm_set_worker_shutdown(temporal_shared_state_manager *manager) {
  if (!manager) return;
  atomic_store(&manager->header->worker_shutdown, 1);
  temporal__ssm_wake_all(&manager->header->worker_shutdown);
}

/* ---- monitor thread --------------------------------------------------------------------------------- */

static void scan_dirty(temporal_shared_state_manager *m) {
  for (size_t w = 0; w < m->dirty_words; w++) {
    uint64_t bits = atomic_exchange(&m->dirty[w], 0);
    while (bits) {
      unsigned b = (unsigned)__builtin_ctzll(bits);
      bits &= bits - 1;
      uint32_t index = (uint32_t)(w * 64 + b);
      if (index >= m->count) continue;
      pthread_mutex_lock(&m->lock);
      deliver_locked(m, index);
      pthread_mutex_unlock(&m->lock);
    }
  }
}

static void *monitor_main(void *arg) {
  temporal_shared_state_manager *m = arg;
  while (!atomic_load(&m->stop)) {
    struct pollfd p = {.fd = m->event_fd, .events = POLLIN};
    int n = poll(&p, 1, MONITOR_TICK_MS);
    if (n < 0 && errno != EINTR) {
      TLOG_ERROR("shared state manager: poll failed: %s", strerror(errno));
      temporal__sleep_ns(100 * TEMPORAL_MS);
      continue;
    }
    if (n <= 0) continue;
    uint64_t counter;
    /* Drain before scanning: a heartbeat that lands after the drain signals again. */
    while (read(m->event_fd, &counter, sizeof counter) < 0 && errno == EINTR) {
    }
    if (atomic_load(&m->stop)) break;
    scan_dirty(m);
  }
  return NULL;
}

int temporal__ssm_attach(temporal_shared_state_manager *manager) {
  if (!manager) return temporal__error(TEMPORAL_EINVAL, "ssm_attach: manager is NULL");
  pthread_mutex_lock(&manager->lock);
  if (manager->attached) {
    pthread_mutex_unlock(&manager->lock);
    return temporal__error(TEMPORAL_ESTATE, "the shared state manager already serves a worker");
  }
  atomic_store(&manager->stop, false);
  atomic_store(&manager->header->worker_shutdown, 0); /* a new worker starts out running */
  int err = pthread_create(&manager->monitor, NULL, monitor_main, manager);
  if (err == 0) manager->attached = true;
  pthread_mutex_unlock(&manager->lock);
  if (err != 0)
    return temporal__error(TEMPORAL_ESYSTEM, "shared state manager: cannot start its monitor thread: %s",
                           strerror(err));
  return 0;
}

void temporal__ssm_detach(temporal_shared_state_manager *manager) {
  if (!manager) return;
  pthread_mutex_lock(&manager->lock);
  bool attached = manager->attached;
  manager->attached = false;
  pthread_mutex_unlock(&manager->lock);
  if (!attached) return;
  atomic_store(&manager->stop, true);
  uint64_t one = 1;
  while (write(manager->event_fd, &one, sizeof one) < 0 && errno == EINTR) {
  }
  pthread_join(manager->monitor, NULL);
}
