/* The zygote: a single-threaded process forked when the process pool is created, before the
 * worker starts gRPC (whose threads make fork unsafe). It forks the pool's children on request,
 * hands the parent a socket to each (SCM_RIGHTS), reaps them and reports how they ended. It keeps
 * only the descriptors the children need (close_fds_except), so a pool made after the client
 * connected does not hand the worker's gRPC socket to every child.
 *
 * Parent <-> zygote: an AF_UNIX SOCK_SEQPACKET pair of fixed-size messages. The zygote lives until
 * its control socket hangs up (the pool is freed or the worker process died); then it SIGKILLs and
 * reaps its children and exits. Children die with the zygote (PR_SET_PDEATHSIG) and see EOF on
 * their socket when the parent goes. The zygote puts itself in its own process group, so a Ctrl-C
 * at the terminal reaches the worker (which shuts down gracefully) and not the children. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"
#include "executor/zygote.h"

#define STOP_WAIT_NS (5 * TEMPORAL_SECOND)

enum { MSG_SPAWN = 1, MSG_KILL = 2, MSG_STARTED = 3, MSG_EXITED = 4, MSG_SPAWN_FAILED = 5 };

typedef struct zmsg {
  int32_t kind;
  int32_t pid;
  int32_t status;
  int32_t error;
} zmsg;

/* ---- descriptors the zygote keeps ------------------------------------------------------------------ */

/* close_range, or (a kernel before 5.9) one close at a time up to the descriptor limit. */
static void close_span(unsigned int from, unsigned int to) {
  if (from > to || close_range(from, to, 0) == 0) return;
  long max = sysconf(_SC_OPEN_MAX);
  unsigned int limit = max > 0 && max <= 1048576 ? (unsigned int)max - 1 : 65535;
  if (to > limit) to = limit;
  for (unsigned int fd = from; fd <= to; fd++) close((int)fd);
}

/* Closes every descriptor from 3 up except those in keep[] (n, at most 8, any order). Runs in the
 * fresh fork of the zygote: whatever the worker had open when the pool was made (the client's gRPC
 * socket, other pools' sockets, the program's own files) stays with the worker, whatever the order
 * in which the program made its client and its pools. */
static void close_fds_except(const int *keep, size_t n) {
  int sorted[8];
  size_t k = 0;
  for (size_t i = 0; i < n && k < 8; i++)
    if (keep[i] > 2) sorted[k++] = keep[i];
  for (size_t i = 1; i < k; i++) /* insertion sort of a handful */
    for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
      int t = sorted[j];
      sorted[j] = sorted[j - 1];
      sorted[j - 1] = t;
    }
  unsigned int from = 3;
  for (size_t i = 0; i < k; i++) {
    close_span(from, (unsigned int)sorted[i] - 1);
    from = (unsigned int)sorted[i] + 1;
  }
  close_span(from, ~0u);
}

/* ---- helpers -------------------------------------------------------------------------------------- */

void temporal__describe_wait_status(char *buf, size_t size, int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev)
      snprintf(buf, size, "was killed by signal %d (SIG%s)", sig, abbrev);
    else
      snprintf(buf, size, "was killed by signal %d", sig);
  } else if (WIFEXITED(status)) {
    snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
  } else {
    snprintf(buf, size, "ended with wait status 0x%x", (unsigned)status);
  }
}

static int send_msg(int fd, const zmsg *m, int pass_fd, int flags) {
  struct iovec iov = {.iov_base = (void *)m, .iov_len = sizeof *m};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (pass_fd >= 0) {
    memset(&control, 0, sizeof control);
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  for (;;) {
    ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL | flags);
    if (n == (ssize_t)sizeof *m) return 0;
    if (n < 0 && errno == EINTR) continue;
    return n < 0 ? -errno : -EIO;
  }
}

/* ---- the zygote process --------------------------------------------------------------------------- */

static int sigchld_pipe[2] = {-1, -1};

static void on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  char b = 0;
  ssize_t n = write(sigchld_pipe[1], &b, 1); /* full pipe = a wake-up is pending already */
  (void)n;
  errno = saved;
}

typedef struct zstate {
  int ctl;
  pid_t *pids;
  size_t count, cap;
  temporal__child_main main;
  void *data;
} zstate;

static bool zs_has(const zstate *z, pid_t pid) {
  for (size_t i = 0; i < z->count; i++)
    if (z->pids[i] == pid) return true;
  return false;
}

static void zs_remove(zstate *z, pid_t pid) {
  for (size_t i = 0; i < z->count; i++) {
    if (z->pids[i] == pid) {
      z->pids[i] = z->pids[--z->count];
      return;
    }
  }
}

static void zygote_exit(zstate *z) {
  for (size_t i = 0; i < z->count; i++) kill(z->pids[i], SIGKILL);
  for (size_t i = 0; i < z->count; i++) {
    while (waitpid(z->pids[i], NULL, 0) < 0 && errno == EINTR) {
    }
  }
  _exit(0);
}

static void zygote_reap(zstate *z) {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) return;
    zs_remove(z, pid);
    zmsg m = {.kind = MSG_EXITED, .pid = pid, .status = status};
    if (send_msg(z->ctl, &m, -1, 0) != 0) zygote_exit(z);
  }
}

static void zygote_spawn(zstate *z) {
  int sv[2];
  zmsg m = {.kind = MSG_SPAWN_FAILED};
  if (z->count == z->cap) {
    size_t cap = z->cap ? z->cap * 2 : 16;
    pid_t *grown = realloc(z->pids, cap * sizeof *grown);
    if (!grown) {
      m.error = ENOMEM;
      if (send_msg(z->ctl, &m, -1, 0) != 0) zygote_exit(z);
      return;
    }
    z->pids = grown;
    z->cap = cap;
  }
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    m.error = errno;
    if (send_msg(z->ctl, &m, -1, 0) != 0) zygote_exit(z);
    return;
  }
  pid_t zygote_pid = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    close(z->ctl);
    close(sigchld_pipe[0]);
    close(sigchld_pipe[1]);
    close(sv[0]);
    signal(SIGCHLD, SIG_DFL);
    /* The child must not outlive the zygote (which kills it on shutdown, but may itself be
     * SIGKILLed). The zygote is single-threaded, so "parent thread exits" = "zygote exits". */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != zygote_pid) _exit(1);
    z->main(sv[1], z->data);
    _exit(0);
  }
  close(sv[1]);
  if (pid < 0) {
    m.error = errno;
    close(sv[0]);
    if (send_msg(z->ctl, &m, -1, 0) != 0) zygote_exit(z);
    return;
  }
  z->pids[z->count++] = pid;
  m.kind = MSG_STARTED;
  m.pid = pid;
  int rc = send_msg(z->ctl, &m, sv[0], 0);
  close(sv[0]);
  if (rc != 0) zygote_exit(z);
}

static void zygote_main(int ctl, temporal__child_main main, void *data) {
  zstate z = {.ctl = ctl, .main = main, .data = data};
  setpgid(0, 0);
  if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) != 0) _exit(1);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGCHLD, &sa, NULL);
  /* Whatever the forking thread blocked, the zygote must hear SIGCHLD; terminal signals go to the
   * worker, whose shutdown stops the pool. */
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGTSTP, SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  for (;;) {
    zygote_reap(&z);
    struct pollfd p[2] = {{.fd = ctl, .events = POLLIN}, {.fd = sigchld_pipe[0], .events = POLLIN}};
    /* The timeout only bounds how long a lost SIGCHLD could delay a report. */
    int n = poll(p, 2, 1000);
    if (n < 0) {
      if (errno == EINTR) continue;
      zygote_exit(&z);
    }
    if (p[1].revents) {
      char drain[64];
      while (read(sigchld_pipe[0], drain, sizeof drain) > 0) {
      }
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      zmsg m;
      ssize_t got = recv(ctl, &m, sizeof m, MSG_DONTWAIT);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got != (ssize_t)sizeof m) zygote_exit(&z); /* hung up: the pool is gone */
      if (m.kind == MSG_SPAWN) {
        zygote_spawn(&z);
      } else if (m.kind == MSG_KILL) {
        /* Only a child not yet reaped: its pid cannot have been reused. */
        zygote_reap(&z);
        if (zs_has(&z, m.pid)) kill(m.pid, SIGKILL);
      }
    }
  }
}

/* ---- parent side ------------------------------------------------------------------------------------ */

/* Threads of this process other than the caller (0 when unknown). */
static int other_threads(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return 0;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n > 0 ? n - 1 : 0;
}

int temporal__zygote_start(temporal__zygote **out, temporal__child_main main, void *data, const int *keep,
                           size_t keep_count) {
  *out = NULL;
  int threads = other_threads();
  if (threads > 0)
    TLOG_WARN(
        "process pool: created while %d other thread(s) run; create it early in main, before any "
        "client connects (fork is unsafe once gRPC has started threads)",
        threads);
  temporal__zygote *z = calloc(1, sizeof *z);
  if (!z) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    int e = errno;
    free(z);
    return temporal__error(TEMPORAL_ESYSTEM, "process pool: socketpair failed: %s", strerror(e));
  }
  /* Unflushed stdio buffers would otherwise be written again by every child that flushes. */
  fflush(NULL);
  if (keep_count > 7) {
    close(sv[0]);
    close(sv[1]);
    free(z);
    return temporal__error(TEMPORAL_EINVAL, "process pool: at most 7 descriptors to keep");
  }
  int kept[8];
  kept[0] = sv[1];
  for (size_t i = 0; i < keep_count; i++) kept[i + 1] = keep[i];
  pid_t pid = fork();
  if (pid == 0) {
    free(z); /* the parent's handle; unreferenced here (a leak checker in a child would say so) */
    close_fds_except(kept, keep_count + 1);
    zygote_main(sv[1], main, data);
    _exit(0);
  }
  int e = errno;
  close(sv[1]);
  if (pid < 0) {
    close(sv[0]);
    free(z);
    return temporal__error(TEMPORAL_ESYSTEM, "process pool: fork of the zygote failed: %s", strerror(e));
  }
  z->pid = pid;
  z->ctl = sv[0];
  *out = z;
  return 0;
}

int temporal__zygote_fd(const temporal__zygote *zygote) {
  return zygote->ctl;
}

/* MSG_DONTWAIT: the zygote may itself be blocked sending to us; we must never wait on it. */
int temporal__zygote_spawn(temporal__zygote *zygote) {
  zmsg m = {.kind = MSG_SPAWN};
  int rc = send_msg(zygote->ctl, &m, -1, MSG_DONTWAIT);
  if (rc == -EAGAIN) return TEMPORAL_ETIMEDOUT;
  return rc == 0 ? 0
                 : temporal__error(TEMPORAL_ESYSTEM, "process pool: zygote unreachable: %s", strerror(-rc));
}

int temporal__zygote_kill(temporal__zygote *zygote, pid_t pid) {
  zmsg m = {.kind = MSG_KILL, .pid = pid};
  int rc = send_msg(zygote->ctl, &m, -1, MSG_DONTWAIT);
  if (rc == -EAGAIN) return TEMPORAL_ETIMEDOUT;
  return rc == 0 ? 0
                 : temporal__error(TEMPORAL_ESYSTEM, "process pool: zygote unreachable: %s", strerror(-rc));
}

int temporal__zygote_read_event(temporal__zygote *zygote, temporal__zygote_event *out) {
  zmsg m;
  struct iovec iov = {.iov_base = &m, .iov_len = sizeof m};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  ssize_t n;
  do {
    n = recvmsg(zygote->ctl, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return 0;
  memset(out, 0, sizeof *out);
  out->fd = -1;
  int fd = -1;
  for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(sizeof(int)))
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
  }
  if (n != (ssize_t)sizeof m) {
    if (fd >= 0) close(fd);
    out->kind = TEMPORAL__ZYGOTE_GONE;
    return 1;
  }
  out->pid = m.pid;
  switch (m.kind) {
    case MSG_STARTED:
      if (fd < 0) {
        out->kind = TEMPORAL__ZYGOTE_SPAWN_FAILED;
        out->error = EBADF;
        return 1;
      }
      out->kind = TEMPORAL__ZYGOTE_CHILD_STARTED;
      out->fd = fd;
      return 1;
    case MSG_EXITED:
      out->kind = TEMPORAL__ZYGOTE_CHILD_EXITED;
      out->status = m.status;
      break;
    case MSG_SPAWN_FAILED:
      out->kind = TEMPORAL__ZYGOTE_SPAWN_FAILED;
      out->error = m.error;
      break;
    default: out->kind = TEMPORAL__ZYGOTE_GONE; break;
  }
  if (fd >= 0) close(fd);
  return 1;
}

void temporal__zygote_stop(temporal__zygote *zygote) {
  if (!zygote) return;
  close(zygote->ctl); /* the zygote sees the hang-up, kills and reaps its children, exits */
  int64_t deadline = temporal__monotonic_ns() + STOP_WAIT_NS;
  temporal_duration_ns nap = 100000; /* 0.1 ms, doubling to 10 ms */
  for (;;) {
    pid_t r = waitpid(zygote->pid, NULL, WNOHANG);
    if (r == zygote->pid || (r < 0 && errno != EINTR)) break; /* reaped, or not ours to reap */
    if (temporal__monotonic_ns() >= deadline) {
      TLOG_WARN("process pool: zygote %d did not exit; killing it", (int)zygote->pid);
      kill(zygote->pid, SIGKILL);
      while (waitpid(zygote->pid, NULL, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    temporal__sleep_ns(nap);
    if (nap < 10 * TEMPORAL_MS) nap *= 2;
  }
  free(zygote);
}
