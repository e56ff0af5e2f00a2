/* The transport's channel: one gRPC channel per client, with keepalive, large message limits and
 * optional TLS. gRPC itself reconnects (after GOAWAY at the server's max connection age, or a
 * restart); calls that meet a broken connection fail UNAVAILABLE and are retried by call.c, and
 * connectivity.c watches the channel to log a lost connection and resume calls when it is back. */
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc_security.h>

#include "temporal/version.h"
#include "transport/transport_private.h"

#define DEFAULT_TARGET "localhost:7233"
#define DEFAULT_NAMESPACE "default"
#define GRPC_SHUTDOWN_WAIT (2 * TEMPORAL_SECOND)

/* gRPC's own shutdown can finish after the last grpc_shutdown call returns: a channel's subchannels
 * hold references of their own (grpc_init in their constructors), and when a connection attempt is
 * still in flight as the channel is destroyed, the last one goes on a gRPC thread, which hands the
 * final clean-up (stopping and joining gRPC's timer threads) to a detached thread. A program that
 * exits meanwhile leaves a finished gRPC thread unjoined (ThreadSanitizer reports it as a thread
 * leak; it was seen 1 run in ~100 on a busy machine). So freeing the library's last transport waits,
 * boundedly, until gRPC has really shut down, and every thread started on the library's behalf is
 * joined when the client is freed. Only when gRPC was not already initialized by someone else when
 * the library's first transport was made: a program using gRPC itself keeps it up, and would only
 * wait out the bound. */
static atomic_int live_transports;
static atomic_bool grpc_is_ours;

static void grpc_acquire(void) {
  if (atomic_fetch_add(&live_transports, 1) == 0) atomic_store(&grpc_is_ours, !grpc_is_initialized());
  grpc_init();
}

static void grpc_release(void) {
  grpc_shutdown();
  if (atomic_fetch_sub(&live_transports, 1) != 1 || !atomic_load(&grpc_is_ours)) return;
  /* grpc_is_initialized takes gRPC's init lock, which its clean-up holds until the threads are joined. */
  int64_t deadline = temporal__monotonic_ns() + GRPC_SHUTDOWN_WAIT;
  while (grpc_is_initialized() && temporal__monotonic_ns() < deadline) temporal__sleep_ns(TEMPORAL_MS);
}

static grpc_arg int_arg(const char *key, int value) {
  grpc_arg arg = {.type = GRPC_ARG_INTEGER, .key = (char *)key};
  arg.value.integer = value;
  return arg;
}

/* gRPC copies channel args while creating the channel, so `value` need only live until then. */
static grpc_arg string_arg(const char *key, const char *value) {
  grpc_arg arg = {.type = GRPC_ARG_STRING, .key = (char *)key};
  arg.value.string = (char *)value;
  return arg;
}

static grpc_channel_credentials *make_credentials(const temporal_client_options *opts) {
  if (opts->tls || opts->tls_root_certs_pem) {
    /* NULL roots: gRPC's default roots (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH or its bundled roots.pem). */
    return grpc_ssl_credentials_create(opts->tls_root_certs_pem, NULL, NULL, NULL);
  }
  return grpc_insecure_credentials_create();
}

int temporal__transport_new(temporal__transport **out, const temporal_client_options *opts) {
  if (!out || !opts) return temporal__error(TEMPORAL_EINVAL, "transport: out and opts are required");
  *out = NULL;
  temporal__transport *t = calloc(1, sizeof *t);
  if (!t) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  atomic_init(&t->internal_error_differentiation, false);
  atomic_init(&t->ready_epoch, 0);
  if (pthread_mutex_init(&t->mu, NULL) != 0 || temporal__cond_init(&t->ready_cond) != 0 ||
      pthread_mutex_init(&t->engine_mu, NULL) != 0) {
    free(t);
    return temporal__error(TEMPORAL_ESYSTEM, "transport: cannot make its lock");
  }
  grpc_acquire(); /* from here on, temporal__transport_free undoes whatever was made */
  t->target = temporal__strdup(opts->target && *opts->target ? opts->target : DEFAULT_TARGET);
  t->namespace_md = grpc_slice_from_copied_string(opts->namespace_ && *opts->namespace_ ? opts->namespace_
                                                                                        : DEFAULT_NAMESPACE);
  char *authorization =
      opts->api_key && *opts->api_key ? temporal__asprintf("Bearer %s", opts->api_key) : NULL;
  if (authorization) t->authorization_md = grpc_slice_from_copied_string(authorization);
  free(authorization);
  if (!t->target || (opts->api_key && *opts->api_key && !authorization)) {
    temporal__transport_free(t);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }

  grpc_arg args[10];
  size_t n = 0;
  /* A connection that stops answering (a blackholed route, a dead NAT entry) is found by keepalive
   * within 30 s (a ping every 20 s, 10 s to answer it), then logged and redialled (connectivity.c).
   * Temporal's frontend accepts pings every 10 s or more (frontend.keepAliveMinTime). */
  args[n++] = int_arg(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args[n++] = int_arg(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args[n++] = int_arg(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  /* gRPC stops pinging after 2 pings without data by default, which would leave an idle connection
   * (or one carrying only a quiet long poll) without keepalive. */
  args[n++] = int_arg(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args[n++] = int_arg(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, TEMPORAL__MAX_MESSAGE_BYTES);
  args[n++] = int_arg(GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, TEMPORAL__MAX_MESSAGE_BYTES);
  /* gRPC's reconnect backoff grows to 120 s by default; a worker should find a restarted server
   * within a second: a connection attempt every 0.5 s (±20 %) while the server is away (each one
   * costs a refused or unanswered TCP connect), and calls waiting to retry go the moment it is
   * back (connectivity.c). */
  args[n++] = int_arg(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 500);
  args[n++] = int_arg(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  args[n++] = string_arg(GRPC_ARG_PRIMARY_USER_AGENT_STRING, "temporal-c/" TEMPORAL_VERSION_STRING);
  if (opts->tls_server_name && *opts->tls_server_name)
    args[n++] = string_arg(GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, opts->tls_server_name);
  grpc_channel_args channel_args = {.num_args = n, .args = args};

  grpc_channel_credentials *creds = make_credentials(opts);
  if (!creds) {
    int rc = temporal__error(TEMPORAL_ETRANSPORT, "cannot create %s credentials for %s",
                             opts->tls ? "TLS" : "insecure", t->target);
    temporal__transport_free(t);
    return rc;
  }
  t->channel = grpc_channel_create(t->target, creds, &channel_args);
  grpc_channel_credentials_release(creds);
  /* grpc_channel_create never returns NULL (a bad target gives a lame channel whose calls fail). */
  int rc = temporal__connectivity_start(t);
  if (rc != 0) {
    temporal__transport_free(t);
    return rc;
  }
  *out = t;
  return 0;
}

void temporal__transport_free(temporal__transport *t) {
  if (!t) return;
  temporal__connectivity_stop_and_destroy_channel(t);
  temporal__engine_stop(t);
  grpc_release();
  free(t->sleepers);
  pthread_cond_destroy(&t->ready_cond);
  pthread_mutex_destroy(&t->mu);
  pthread_mutex_destroy(&t->engine_mu);
  free(t->target);
  grpc_slice_unref(t->namespace_md);
  grpc_slice_unref(t->authorization_md);
  free(t);
}

void temporal__transport_set_internal_error_differentiation(temporal__transport *t, bool on) {
  if (t) atomic_store(&t->internal_error_differentiation, on);
}
