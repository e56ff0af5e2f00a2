/* Client options that decide what goes on the wire: an API key never travels in clear text unless
 * the caller says so. A listener of the test's own records the first bytes the client sends: a TLS
 * handshake starts with a handshake record (0x16 0x03), plaintext HTTP/2 with its preface. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <temporal/client.h>
#include <temporal/errors.h>

#include "client/client_internal.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "test.h"
#include "transport/transport.h"

typedef struct listener {
  int fd;
  char target[64];
  unsigned char first[24];
  ssize_t got;
} listener;

static void listen_loopback(listener *l) {
  memset(l, 0, sizeof *l);
  l->fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(l->fd >= 0 && bind(l->fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(l->fd, 4) == 0);
  socklen_t len = sizeof a;
  CHECK(getsockname(l->fd, (struct sockaddr *)&a, &len) == 0);
  snprintf(l->target, sizeof l->target, "127.0.0.1:%d", ntohs(a.sin_port));
}

/* Accepts one connection and reads what the client sends first, then closes it (which ends the
 * client's call at once: no waiting out a deadline, however slow the run, e.g. under valgrind). */
static void *accept_first_bytes(void *arg) {
  listener *l = arg;
  int c = accept(l->fd, NULL, NULL);
  if (c < 0) return NULL;
  struct timeval tv = {30, 0};
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (l->got < (ssize_t)sizeof l->first) {
    ssize_t n = read(c, l->first + l->got, sizeof l->first - (size_t)l->got);
    if (n <= 0) break;
    l->got += n;
  }
  close(c);
  return NULL;
}

/* One call, made with the transport the client would make from `opts`, to a listener that hangs up
 * after the first bytes; *l gets those bytes. */
static void first_bytes_sent(listener *l, temporal_client_options *opts) {
  listen_loopback(l);
  pthread_t th;
  CHECK(pthread_create(&th, NULL, accept_first_bytes, l) == 0);
  temporal_client_options resolved;
  CHECK_EQ_INT(0, temporal__client_read_options(&resolved, opts));
  resolved.target = l->target;
  temporal__transport *t = NULL;
  CHECK_EQ_INT(0, temporal__transport_new(&t, &resolved));
  Temporal__Api__Workflowservice__V1__GetSystemInfoRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__GET_SYSTEM_INFO_REQUEST__INIT;
  temporal__call_options copts = {.timeout = 60 * TEMPORAL_SECOND, .retry = TEMPORAL__RETRY_NONE};
  ProtobufCMessage *resp = NULL;
  CHECK(temporal__transport_call(t, "GetSystemInfo", &req.base,
                                 &temporal__api__workflowservice__v1__get_system_info_response__descriptor,
                                 &resp, &copts, NULL) != 0);
  pthread_join(th, NULL);
  temporal__transport_free(t);
  close(l->fd);
}

static bool is_tls_handshake(const listener *l) {
  return l->got >= 3 && l->first[0] == 0x16 && l->first[1] == 0x03;
}

static bool is_http2_preface(const listener *l) {
  return l->got >= 14 && memcmp(l->first, "PRI * HTTP/2.0", 14) == 0;
}

TEST(client_api_key_turns_tls_on) {
  temporal_client_options opts = TEMPORAL_CLIENT_OPTIONS_INIT;
  opts.api_key = "secret-key";
  listener l;
  first_bytes_sent(&l, &opts);
  CHECK(is_tls_handshake(&l));
}

TEST(client_api_key_in_a_version_1_struct_turns_tls_on) {
  temporal_client_options opts = TEMPORAL_CLIENT_OPTIONS_INIT;
  opts.version = 1; /* a program built before plaintext_api_key existed */
  opts.api_key = "secret-key";
  listener l;
  first_bytes_sent(&l, &opts);
  CHECK(is_tls_handshake(&l));
}

TEST(client_plaintext_api_key_when_asked) {
  temporal_client_options opts = TEMPORAL_CLIENT_OPTIONS_INIT;
  opts.api_key = "secret-key";
  opts.plaintext_api_key = true;
  listener l;
  first_bytes_sent(&l, &opts);
  CHECK(is_http2_preface(&l));
}

TEST(client_without_api_key_stays_plaintext) {
  temporal_client_options opts = TEMPORAL_CLIENT_OPTIONS_INIT;
  listener l;
  first_bytes_sent(&l, &opts);
  CHECK(is_http2_preface(&l));
}

TEST(client_plaintext_api_key_with_tls_is_refused) {
  temporal_client_options opts = TEMPORAL_CLIENT_OPTIONS_INIT;
  opts.target = "127.0.0.1:1";
  opts.api_key = "secret-key";
  opts.plaintext_api_key = true;
  opts.tls = true;
  temporal_client *client = NULL;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_client_connect(&client, &opts));
  CHECK_CONTAINS(temporal_error_last(), "plaintext_api_key");
  opts.version = 3;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_client_connect(&client, &opts));
  CHECK_CONTAINS(temporal_error_last(), "temporal_client_options: version 3 is not supported");
  CHECK_CONTAINS(temporal_error_last(), "accepts 1..2");
}
