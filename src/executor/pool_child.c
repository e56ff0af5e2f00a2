/* The loop each process-pool child runs: jobs in, results out, until the parent hangs up. It
 * runs in a fork of the zygote, single-threaded, and never touches gRPC. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/core.h"
#include "executor/pool_internal.h"

/* 0 done, 1 EOF before any byte, -1 error or EOF midway. */
static int read_full(int fd, void *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, (uint8_t *)buf + got, len - got);
    if (n > 0) {
      got += (size_t)n;
    } else if (n == 0) {
      return got == 0 ? 1 : -1;
    } else if (errno != EINTR) {
      return -1;
    }
  }
  return 0;
}

/* Sends header and body in one sendmsg (one wake-up of the dispatcher for a small result). */
static int write_frame(int fd, const uint8_t *hdr, size_t hdr_len, const uint8_t *body, size_t body_len) {
  size_t total = hdr_len + body_len, sent = 0;
  while (sent < total) {
    struct iovec iov[2];
    int n = 0;
    if (sent < hdr_len) iov[n++] = (struct iovec){(void *)(hdr + sent), hdr_len - sent};
    size_t body_off = sent > hdr_len ? sent - hdr_len : 0;
    if (body_len > body_off) iov[n++] = (struct iovec){(void *)(body + body_off), body_len - body_off};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
    ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (w > 0)
      sent += (size_t)w;
    else if (w < 0 && errno != EINTR)
      return -1;
  }
  return 0;
}

/* A child: jobs in, results out, until the parent hangs up. An idle child blocks in read without
 * a deadline on purpose: it has nothing to do until the parent writes or goes away (EOF). */
void temporal__pool_child_main(int sock, void *data) {
  const temporal__pool_child_ctx *ctx = data;
  for (;;) {
    uint8_t hdr[8];
    if (read_full(sock, hdr, sizeof hdr) != 0) _exit(0);
    uint64_t len = temporal__get_le(hdr, 8);
    if (len > TEMPORAL__POOL_MAX_FRAME || len > SIZE_MAX) _exit(2);
    uint8_t *job = malloc(len ? (size_t)len : 1);
    if (!job) _exit(3);
    if (read_full(sock, job, (size_t)len) != 0) _exit(0);
    uint8_t *result = NULL;
    size_t result_len = 0;
    int rc = ctx->run(&result, &result_len, ctx->manager, job, (size_t)len);
    free(job);
    const uint8_t *body = result;
    uint32_t kind = TEMPORAL__POOL_FRAME_RESULT;
    if (rc == 0 && result_len > TEMPORAL__POOL_MAX_FRAME)
      rc = temporal__error(TEMPORAL_ETOOBIG,
                           "the activity's result is %zu bytes; no result over %llu bytes can be reported to "
                           "the server",
                           result_len, (unsigned long long)TEMPORAL__POOL_MAX_FRAME);
    if (rc != 0) {
      kind = TEMPORAL__POOL_FRAME_ERROR;
      body = (const uint8_t *)temporal_error_last();
      result_len = strlen(temporal_error_last());
    }
    uint8_t out[12];
    temporal__put_le(out, kind, 4);
    temporal__put_le(out + 4, result_len, 8);
    int wrc = write_frame(sock, out, sizeof out, body, result_len);
    free(result);
    if (wrc != 0) _exit(0);
  }
}
