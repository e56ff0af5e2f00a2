/* The process pool's dispatcher thread: it owns the children. It hands queued jobs to idle
 * children, polls the child sockets (non-blocking I/O, so a stuck or huge job never stalls the
 * others), the zygote's control socket and the wake eventfd, enforces the kill grace, and keeps
 * the pool at its size. A child that hangs up or is reported dead while it had a job abandons that
 * job with a message naming how it died, and a replacement is requested: the worker keeps
 * serving. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/core.h"
#include "executor/job.h"
#include "executor/pool_internal.h"

#define REPORT_WAIT (2 * TEMPORAL_SECOND)             /* hung up, no exit report yet: give up after */
#define SPAWN_RETRY (1 * TEMPORAL_SECOND)             /* after a failed fork */
#define IDLE_DEATH_BACKOFF_MAX (10 * TEMPORAL_SECOND) /* children dying with no job: slow down */
#define TICK_MS 1000                                  /* poll at least this often */

void temporal__pool_wake(temporal__pool *p) {
  uint64_t one = 1;
  while (write(p->wake_fd, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

static void close_child_fd(temporal__pool_child *c) {
  if (c->fd < 0) return;
  close(c->fd);
  c->fd = -1;
}

static void reset_io(temporal__pool_child *c) {
  c->job = NULL;
  c->job_bytes = NULL;
  c->job_len = 0;
  c->out_off = 0;
  c->in_got = 0;
  free(c->in_buf);
  c->in_buf = NULL;
  c->in_len = c->in_off = c->in_cap = 0;
  c->interrupted_at = 0;
}

temporal_executor_job *temporal__pool_child_release(temporal__pool_child *c) {
  close_child_fd(c);
  temporal_executor_job *job = c->job;
  reset_io(c);
  return job;
}

/* The child is gone (exit reported, or no report in time): its job, if any, is abandoned. */
static void child_gone(temporal__pool *p, temporal__pool_child *c, const char *how) {
  p->reshaped = true;
  close_child_fd(c);
  c->dead = true;
  temporal_executor_job *job = c->job;
  bool killing = c->killing;
  reset_io(c);
  if (!job) {
    TLOG_WARN("process pool: idle activity process %d %s; starting another", (int)c->pid, how);
    if (p->idle_deaths < 20) p->idle_deaths++;
    temporal_duration_ns backoff = (100 * TEMPORAL_MS) << (p->idle_deaths - 1);
    if (backoff > IDLE_DEATH_BACKOFF_MAX) backoff = IDLE_DEATH_BACKOFF_MAX;
    p->spawn_not_before = temporal__monotonic_ns() + backoff;
    return;
  }
  char reason[256];
  if (killing)
    snprintf(
        reason, sizeof reason,
        "activity process %d %s: it was still running %.1f s after the activity was cancelled (kill_grace)",
        (int)c->pid, how, (double)p->kill_grace / (double)TEMPORAL_SECOND);
  else
    snprintf(reason, sizeof reason, "activity process %d %s", (int)c->pid, how);
  TLOG_WARN("process pool: %s; the attempt fails and the process is replaced", reason);
  temporal_executor_job_abandon(job, reason);
}

static void child_hung_up(temporal__pool *p, temporal__pool_child *c) {
  p->reshaped = true;
  close_child_fd(c);
  c->hung_up_at = temporal__monotonic_ns();
}

/* A complete frame arrived from the child. */
static void frame_done(temporal__pool *p, temporal__pool_child *c) {
  temporal_executor_job *job = c->job;
  uint8_t *buf = c->in_buf;
  size_t len = c->in_len;
  uint32_t kind = c->in_kind;
  c->in_buf = NULL;
  reset_io(c);
  p->idle_deaths = 0;
  if (!job) {
    TLOG_ERROR("process pool: activity process %d sent a result with no job; stopping it", (int)c->pid);
    temporal__zygote_kill(p->zygote, c->pid);
    child_hung_up(p, c);
  } else if (kind == TEMPORAL__POOL_FRAME_RESULT) {
    temporal_executor_job_finish(job, buf, len);
  } else {
    char reason[512];
    snprintf(reason, sizeof reason, "activity process %d could not run the job: %.*s", (int)c->pid,
             (int)(len > 400 ? 400 : len), buf ? (const char *)buf : "");
    temporal_executor_job_abandon(job, reason);
  }
  free(buf);
}

/* Header and job go out in one sendmsg, so the child wakes once for a small job. */
static void child_write(temporal__pool *p, temporal__pool_child *c) {
  size_t total = sizeof c->out_hdr + c->job_len;
  while (c->fd >= 0 && c->job && c->out_off < total) {
    struct iovec iov[2];
    int n = 0;
    if (c->out_off < sizeof c->out_hdr)
      iov[n++] = (struct iovec){c->out_hdr + c->out_off, sizeof c->out_hdr - c->out_off};
    size_t body_off = c->out_off > sizeof c->out_hdr ? c->out_off - sizeof c->out_hdr : 0;
    if (c->job_len > body_off)
      iov[n++] = (struct iovec){(void *)(c->job_bytes + body_off), c->job_len - body_off};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
    ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      c->out_off += (size_t)w;
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    } else {
      child_hung_up(p, c); /* EPIPE/ECONNRESET: it died; the zygote's report names how */
      return;
    }
  }
}

/* The child broke the framing or announced more than can ever be reported: its attempt fails with
 * `reason` (the job is taken first, so the exit report that follows finds none) and it is killed. */
static void child_misbehaved(temporal__pool *p, temporal__pool_child *c, const char *reason) {
  temporal_executor_job *job = c->job;
  c->job = NULL;
  TLOG_ERROR("process pool: %s; stopping it", reason);
  if (job) temporal_executor_job_abandon(job, reason);
  temporal__zygote_kill(p->zygote, c->pid);
  child_hung_up(p, c);
}

/* Makes room for the next bytes of the frame: the buffer doubles up to the announced length. */
static bool grow_in_buf(temporal__pool_child *c) {
  size_t cap = c->in_cap ? c->in_cap * 2 : TEMPORAL__POOL_FIRST_CHUNK;
  if (cap > c->in_len) cap = c->in_len;
  uint8_t *grown = realloc(c->in_buf, cap ? cap : 1);
  if (!grown) return false;
  c->in_buf = grown;
  c->in_cap = cap;
  return true;
}

static void child_read(temporal__pool *p, temporal__pool_child *c) {
  char reason[256];
  while (c->fd >= 0) {
    uint8_t *into;
    size_t want;
    if (c->in_got < sizeof c->in_hdr) {
      into = c->in_hdr + c->in_got;
      want = sizeof c->in_hdr - c->in_got;
    } else {
      if (c->in_off == c->in_cap && !grow_in_buf(c)) {
        snprintf(reason, sizeof reason, "out of memory for the %zu-byte result of activity process %d",
                 c->in_len, (int)c->pid);
        child_misbehaved(p, c, reason);
        return;
      }
      into = c->in_buf + c->in_off;
      want = c->in_cap - c->in_off;
    }
    ssize_t n = want ? recv(c->fd, into, want, MSG_DONTWAIT) : 0;
    if (want && n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      child_hung_up(p, c);
      return;
    }
    if (want && n == 0) {
      child_hung_up(p, c);
      return;
    }
    if (c->in_got < sizeof c->in_hdr) {
      c->in_got += (size_t)n;
      if (c->in_got < sizeof c->in_hdr) continue;
      c->in_kind = (uint32_t)temporal__get_le(c->in_hdr, 4);
      uint64_t len = temporal__get_le(c->in_hdr + 4, 8);
      if (c->in_kind != TEMPORAL__POOL_FRAME_RESULT && c->in_kind != TEMPORAL__POOL_FRAME_ERROR) {
        snprintf(reason, sizeof reason, "activity process %d sent a malformed frame (kind %u)", (int)c->pid,
                 c->in_kind);
        child_misbehaved(p, c, reason);
        return;
      }
      if (len > TEMPORAL__POOL_MAX_FRAME) {
        snprintf(reason, sizeof reason,
                 "activity process %d sent a %llu-byte result; no result over %llu bytes can be reported "
                 "to the server",
                 (int)c->pid, (unsigned long long)len, (unsigned long long)TEMPORAL__POOL_MAX_FRAME);
        child_misbehaved(p, c, reason);
        return;
      }
      c->in_len = (size_t)len;
      c->in_off = c->in_cap = 0;
    } else {
      c->in_off += (size_t)n;
    }
    if (c->in_off == c->in_len) frame_done(p, c);
  }
}

static temporal__pool_child *find_child(temporal__pool *p, pid_t pid) {
  for (size_t i = 0; i < p->child_count; i++)
    if (p->children[i].pid == pid && !p->children[i].dead) return &p->children[i];
  return NULL;
}

static void add_child(temporal__pool *p, pid_t pid, int fd) {
  pthread_mutex_lock(&p->lock);
  if (p->child_count == p->child_cap) {
    size_t cap = p->child_cap ? p->child_cap * 2 : 8;
    temporal__pool_child *grown = realloc(p->children, cap * sizeof *grown);
    if (!grown) {
      pthread_mutex_unlock(&p->lock);
      TLOG_ERROR("process pool: out of memory; stopping new process %d", (int)pid);
      close(fd); /* it sees EOF and exits */
      return;
    }
    p->children = grown;
    p->child_cap = cap;
  }
  temporal__pool_child *c = &p->children[p->child_count++];
  p->reshaped = true;
  memset(c, 0, sizeof *c);
  c->pid = pid;
  c->fd = fd;
  pthread_mutex_unlock(&p->lock);
}

/* Drops dead children from the array and refreshes the list of live pids. */
static void compact(temporal__pool *p) {
  p->reshaped = false;
  pthread_mutex_lock(&p->lock);
  size_t w = 0;
  for (size_t r = 0; r < p->child_count; r++)
    if (!p->children[r].dead) p->children[w++] = p->children[r];
  p->child_count = w;
  pid_t *live = realloc(p->live, (w ? w : 1) * sizeof *live);
  if (live) {
    p->live = live;
    p->live_count = 0;
    for (size_t i = 0; i < w; i++)
      if (p->children[i].fd >= 0) live[p->live_count++] = p->children[i].pid;
  }
  pthread_mutex_unlock(&p->lock);
}

/* ---- parent side: the dispatcher ---------------------------------------------------------------------- */

/* With the lock held: gives queued jobs to idle children, oldest first. */
static void assign_locked(temporal__pool *p) {
  for (size_t i = 0; i < p->child_count && !temporal__queue_empty(&p->queue); i++) {
    temporal__pool_child *c = &p->children[i];
    if (c->dead || c->fd < 0 || c->job) continue;
    temporal__pool_queued *q = temporal__pool_queued_pop(&p->queue);
    c->job = q->job;
    free(q);
    c->job_bytes = temporal_executor_job_bytes(c->job, &c->job_len);
    temporal__put_le(c->out_hdr, c->job_len, 8);
    c->out_off = 0;
    c->interrupted_at = 0;
    c->killing = false;
  }
}

static void zygote_gone(temporal__pool *p) {
  /* The queued jobs move to a local queue under the lock and are abandoned outside it (an abandon
   * runs the job's outcome path, which must not run under the pool's lock); from here on submit
   * refuses new jobs, so the pool's queue stays empty. */
  struct temporal__queue orphans;
  temporal__queue_init(&orphans);
  pthread_mutex_lock(&p->lock);
  bool was_broken = p->broken;
  p->broken = true;
  temporal__queue_move(&p->queue, &orphans);
  pthread_mutex_unlock(&p->lock);
  if (!was_broken)
    TLOG_ERROR("process pool: the zygote died; sync activities on this pool can no longer run");
  for (temporal__pool_queued *q; (q = temporal__pool_queued_pop(&orphans));) {
    temporal_executor_job_abandon(q->job, "the process pool's zygote died; no process can run the activity");
    free(q);
  }
  for (size_t i = 0; i < p->child_count; i++)
    if (!p->children[i].dead) child_gone(p, &p->children[i], "was lost with the process pool's zygote");
}

static void handle_zygote(temporal__pool *p) {
  for (;;) {
    temporal__zygote_event ev;
    int rc = temporal__zygote_read_event(p->zygote, &ev);
    if (rc == 0) return;
    if (rc < 0 || ev.kind == TEMPORAL__ZYGOTE_GONE) {
      zygote_gone(p);
      return;
    }
    switch (ev.kind) {
      case TEMPORAL__ZYGOTE_CHILD_STARTED:
        if (p->spawn_pending) p->spawn_pending--;
        add_child(p, ev.pid, ev.fd);
        break;
      case TEMPORAL__ZYGOTE_CHILD_EXITED: {
        temporal__pool_child *c = find_child(p, ev.pid);
        if (c) {
          char how[128];
          temporal__describe_wait_status(how, sizeof how, ev.status);
          child_gone(p, c, how);
        }
        break;
      }
      case TEMPORAL__ZYGOTE_SPAWN_FAILED:
        if (p->spawn_pending) p->spawn_pending--;
        TLOG_WARN("process pool: the zygote could not start a process: %s", strerror(ev.error));
        p->spawn_not_before = temporal__monotonic_ns() + SPAWN_RETRY;
        break;
      default: break;
    }
  }
}

/* Kill grace, hung-up children with no exit report, spawning. Returns the poll timeout (ms). */
static int timers(temporal__pool *p, int64_t now) {
  int64_t next = now + (int64_t)TICK_MS * TEMPORAL_MS;
  unsigned int live = 0;
  for (size_t i = 0; i < p->child_count; i++) {
    temporal__pool_child *c = &p->children[i];
    if (c->dead) continue;
    if (c->fd < 0) {
      if (now - c->hung_up_at >= REPORT_WAIT)
        child_gone(p, c, "closed its connection (no exit status was reported)");
      else if (c->hung_up_at + REPORT_WAIT < next)
        next = c->hung_up_at + REPORT_WAIT;
      continue;
    }
    live++;
    if (!c->job || c->killing) continue;
    if (!c->interrupted_at && temporal__job_interrupts(c->job)) c->interrupted_at = now;
    if (!c->interrupted_at) continue;
    int64_t due = c->interrupted_at + p->kill_grace;
    if (now >= due) {
      TLOG_WARN("process pool: activity process %d ignored its cancellation for %.1f s; killing it",
                (int)c->pid, (double)p->kill_grace / (double)TEMPORAL_SECOND);
      if (temporal__zygote_kill(p->zygote, c->pid) == 0) c->killing = true;
    } else if (due < next) {
      next = due;
    }
  }
  pthread_mutex_lock(&p->lock);
  bool can_spawn = !p->broken && !p->stopping;
  pthread_mutex_unlock(&p->lock);
  if (can_spawn) {
    while (live + p->spawn_pending < p->processes && now >= p->spawn_not_before) {
      int rc = temporal__zygote_spawn(p->zygote);
      if (rc != 0) {
        /* ETIMEDOUT: the control socket is full; try again shortly. */
        p->spawn_not_before = now + (rc == TEMPORAL_ETIMEDOUT ? 10 * TEMPORAL_MS : SPAWN_RETRY);
        break;
      }
      p->spawn_pending++;
    }
    if (live + p->spawn_pending < p->processes && p->spawn_not_before < next) next = p->spawn_not_before;
  }
  int64_t ms = (next - now + TEMPORAL_MS - 1) / TEMPORAL_MS;
  return ms < 0 ? 0 : ms > TICK_MS ? TICK_MS : (int)ms;
}

void *temporal__pool_dispatcher_main(void *arg) {
  temporal__pool *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->lock);
    bool stopping = p->stopping;
    if (!stopping) assign_locked(p);
    pthread_mutex_unlock(&p->lock);
    if (stopping) break;
    /* Start sending new jobs now rather than a poll round later (the socket is usually writable). */
    for (size_t i = 0; i < p->child_count; i++) {
      temporal__pool_child *c = &p->children[i];
      if (c->job && c->out_off == 0 && c->fd >= 0) child_write(p, c);
    }

    int timeout = timers(p, temporal__monotonic_ns());
    if (p->reshaped) compact(p);
    size_t need = 2 + p->child_count;
    if (need > p->pfd_cap) {
      struct pollfd *grown = realloc(p->pfds, need * sizeof *grown);
      if (!grown) {
        temporal__sleep_ns(10 * TEMPORAL_MS);
        continue;
      }
      p->pfds = grown;
      p->pfd_cap = need;
    }
    bool broken;
    pthread_mutex_lock(&p->lock);
    broken = p->broken;
    pthread_mutex_unlock(&p->lock);
    p->pfds[0] = (struct pollfd){.fd = p->wake_fd, .events = POLLIN};
    p->pfds[1] = (struct pollfd){.fd = broken ? -1 : temporal__zygote_fd(p->zygote), .events = POLLIN};
    for (size_t i = 0; i < p->child_count; i++) {
      temporal__pool_child *c = &p->children[i];
      short events = POLLIN;
      if (c->job && c->out_off < sizeof c->out_hdr + c->job_len) events |= POLLOUT;
      p->pfds[2 + i] = (struct pollfd){.fd = c->fd, .events = events};
    }
    size_t polled = p->child_count;
    int n = poll(p->pfds, 2 + polled, timeout);
    if (n < 0) {
      if (errno != EINTR) {
        TLOG_ERROR("process pool: poll failed: %s", strerror(errno));
        temporal__sleep_ns(10 * TEMPORAL_MS);
      }
      continue;
    }
    if (p->pfds[0].revents) {
      uint64_t v;
      while (read(p->wake_fd, &v, sizeof v) < 0 && errno == EINTR) {
      }
    }
    /* Children before the zygote: a result that arrived before its sender's exit report counts. */
    for (size_t i = 0; i < polled; i++) {
      temporal__pool_child *c = &p->children[i];
      short re = p->pfds[2 + i].revents;
      if (c->dead || c->fd < 0 || !re) continue;
      if (re & POLLOUT) child_write(p, c);
      if (re & (POLLIN | POLLHUP | POLLERR)) child_read(p, c);
    }
    if (p->pfds[1].revents) handle_zygote(p);
  }
  return NULL;
}
