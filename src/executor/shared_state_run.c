/* The shared state manager's running side: what the context calls of an activity run by
 * temporal_executor_run do with the job's slot, in a process-pool child or wherever an executor runs
 * the job. It reads and writes only the shared mapping (shared_state_internal.h), the event fd and
 * what the manager fixed at creation; never the manager's pthread locks or its records of the
 * slots: in a forked child those are the worker's memory as it was at the fork, and a lock another
 * thread held then stays held forever. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "executor/shared_state_internal.h"
#include "activity/activity.h"

/* Waits while *word == val, until the absolute CLOCK_MONOTONIC time `until_ns`. Spurious returns
 * are fine: every caller re-checks in a loop. */
static void futex_wait_until(_Atomic uint32_t *word, uint32_t val, int64_t until_ns) {
  struct timespec ts = temporal__monotonic_ts(until_ns);
  temporal__ssm_futex(word, FUTEX_WAIT_BITSET, val, &ts, FUTEX_BITSET_MATCH_ANY);
}

/* Only the running side blocks here, and only behind the monitor's short copy or another thread
 * of the same activity; the timed wait keeps even a lost wake-up bounded. */
static void slot_lock(temporal__ssm_slot *s) {
  uint32_t c = 0;
  if (atomic_compare_exchange_strong(&s->lock, &c, 1)) return;
  if (c != 2) c = atomic_exchange(&s->lock, 2);
  while (c != 0) {
    futex_wait_until(&s->lock, 2, temporal__monotonic_ns() + 100 * TEMPORAL_MS);
    c = atomic_exchange(&s->lock, 2);
  }
}

bool temporal__ssm_worker_shutdown(const temporal_shared_state_manager *manager) {
  return manager && atomic_load(&manager->header->worker_shutdown) != 0;
}

int temporal__ssm_wait_worker_shutdown(temporal_shared_state_manager *manager, temporal_duration_ns timeout,
                                       const atomic_bool *stop) {
  if (!manager) return temporal__error(TEMPORAL_EINVAL, "wait_for_worker_shutdown: no shared state manager");
  int64_t deadline = timeout > 0 ? temporal__monotonic_ns() + timeout : INT64_MAX;
  for (;;) {
    if (atomic_load(&manager->header->worker_shutdown) != 0) return 0;
    if (stop && atomic_load(stop)) return TEMPORAL_ETIMEDOUT;
    int64_t now = temporal__monotonic_ns();
    if (now >= deadline) return temporal__error(TEMPORAL_ETIMEDOUT, "wait_for_worker_shutdown: timed out");
    int64_t until = deadline - now > TEMPORAL_SECOND ? now + TEMPORAL_SECOND : deadline;
    futex_wait_until(&manager->header->worker_shutdown, 0, until);
  }
}

void temporal__ssm_slot_wake(temporal_shared_state_manager *manager, uint32_t slot) {
  if (!manager || slot >= manager->count) return;
  temporal__ssm_wake_all(&temporal__ssm_slot_at(manager, slot)->interrupts);
  temporal__ssm_wake_all(&manager->header->worker_shutdown);
}

int temporal__ssm_slot_heartbeat(temporal_shared_state_manager *manager, uint32_t slot, uint32_t generation,
                                 const uint8_t *details, size_t len) {
  if (!manager || slot >= manager->count) return temporal__error(TEMPORAL_EINVAL, "heartbeat: no such slot");
  if (len > manager->max_details)
    return temporal__error(TEMPORAL_ETOOBIG,
                           "heartbeat details are %zu bytes encoded; the shared state manager allows %zu "
                           "(max_heartbeat_details_size)",
                           len, manager->max_details);
  temporal__ssm_slot *s = temporal__ssm_slot_at(manager, slot);
  slot_lock(s);
  if (atomic_load(&s->generation) != generation) {
    temporal__ssm_unlock(s);
    return temporal__error(TEMPORAL_ESTATE, "heartbeat: the activity's job was abandoned by the worker");
  }
  if (len) memcpy(temporal__ssm_details(s), details, len);
  s->len = len;
  s->seq++;
  temporal__ssm_unlock(s);
  atomic_fetch_or(&manager->dirty[slot / 64], (uint64_t)1 << (slot % 64));
  uint64_t one = 1;
  /* EAGAIN means the counter is saturated, i.e. the monitor has a wake-up pending anyway. */
  while (write(manager->event_fd, &one, sizeof one) < 0 && errno == EINTR) {
  }
  return 0;
}

unsigned int temporal__ssm_slot_interrupts(const temporal_shared_state_manager *manager, uint32_t slot,
                                           uint32_t generation) {
  if (!manager || slot >= manager->count) return TEMPORAL__INTERRUPT_SHUTDOWN;
  temporal__ssm_slot *s = temporal__ssm_slot_at(manager, slot);
  unsigned int bits = atomic_load(&s->interrupts);
  if (atomic_load(&s->generation) != generation) bits |= TEMPORAL__INTERRUPT_SHUTDOWN;
  return bits;
}

int temporal__ssm_slot_wait(temporal_shared_state_manager *manager, uint32_t slot, uint32_t generation,
                            temporal_duration_ns timeout, const atomic_bool *stop) {
  if (!manager || slot >= manager->count) return 0;
  temporal__ssm_slot *s = temporal__ssm_slot_at(manager, slot);
  int64_t deadline = timeout > 0 ? temporal__monotonic_ns() + timeout : INT64_MAX;
  for (;;) {
    if (atomic_load(&s->interrupts) != 0 || atomic_load(&s->generation) != generation) return 0;
    if (stop && atomic_load(stop)) return TEMPORAL_ETIMEDOUT;
    int64_t now = temporal__monotonic_ns();
    if (now >= deadline) return temporal__error(TEMPORAL_ETIMEDOUT, "wait_for_cancelled: timed out");
    /* Wake at least once a second even without a limit, to notice a generation change whose
     * wake-up was lost. */
    int64_t until = deadline - now > TEMPORAL_SECOND ? now + TEMPORAL_SECOND : deadline;
    futex_wait_until(&s->interrupts, 0, until);
  }
}
