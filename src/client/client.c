/* The client connection: transport, namespace and identity, the server's system info at connect,
 * and the namespace check. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/status.h>

#include "client/client_util.h"
#include "core/options.h"
#include "transport/transport_private.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

#define DEFAULT_CONNECT_TIMEOUT (10 * TEMPORAL_SECOND)

typedef Temporal__Api__Workflowservice__V1__GetSystemInfoRequest SystemInfoRequest;
typedef Temporal__Api__Workflowservice__V1__GetSystemInfoResponse SystemInfoResponse;
typedef Temporal__Api__Workflowservice__V1__DescribeNamespaceRequest DescribeNamespaceRequest;

/* Asks for the system info until the server answers or connect_timeout passes. UNAVAILABLE (nothing
 * listening yet, DNS, a server still starting) is retried; any other refusal is final. */
static int fetch_system_info(temporal_client *client, const char *target,
                             temporal_duration_ns connect_timeout) {
  SystemInfoRequest req = TEMPORAL__API__WORKFLOWSERVICE__V1__GET_SYSTEM_INFO_REQUEST__INIT;
  int64_t deadline = temporal__monotonic_ns() + connect_timeout;
  temporal__backoff backoff;
  temporal__backoff_init(&backoff, 100 * TEMPORAL_MS, TEMPORAL_SECOND);
  for (;;) {
    temporal_duration_ns remaining = deadline - temporal__monotonic_ns();
    if (remaining < 100 * TEMPORAL_MS) remaining = 100 * TEMPORAL_MS; /* the last try gets a fair chance */
    temporal__call_options copts = {.timeout = remaining, .retry = TEMPORAL__RETRY_NONE};
    temporal__call_status status;
    ProtobufCMessage *resp = NULL;
    int rc = temporal__transport_call(
        client->transport, "GetSystemInfo", &req.base,
        &temporal__api__workflowservice__v1__get_system_info_response__descriptor, &resp, &copts, &status);
    if (rc == 0) {
      SystemInfoResponse *info = (SystemInfoResponse *)resp;
      client->server_version = temporal__strdup(info->server_version ? info->server_version : "");
      bool differentiation = info->capabilities && info->capabilities->internal_error_differentiation;
      protobuf_c_message_free_unpacked(resp, NULL);
      if (!client->server_version) return TEMPORAL_ENOMEM;
      temporal__transport_set_internal_error_differentiation(client->transport, differentiation);
      return 0;
    }
    bool unreachable =
        status.grpc_code == GRPC_STATUS_UNAVAILABLE || status.grpc_code == GRPC_STATUS_DEADLINE_EXCEEDED;
    if (!unreachable) return rc;
    int64_t now = temporal__monotonic_ns();
    if (now >= deadline)
      return temporal__error(TEMPORAL_ETRANSPORT, "cannot reach server at %s within %lld ms: %s", target,
                             (long long)(connect_timeout / TEMPORAL_MS),
                             status.message[0] ? status.message : temporal__grpc_code_name(status.grpc_code));
    temporal_duration_ns delay = temporal__backoff_next(&backoff);
    temporal__sleep_ns(delay < deadline - now ? delay : deadline - now);
  }
}

int temporal__client_read_options(temporal_client_options *o, const temporal_client_options *opts) {
  int rc = TEMPORAL__OPTIONS_READ(o, opts); /* NULL = defaults; a version 1 struct has no plaintext_api_key */
  if (rc < 0) return rc;
  if (o->connect_timeout < 0)
    return temporal__error(TEMPORAL_EINVAL, "temporal_client_options: connect_timeout is negative");
  bool explicit_tls = o->tls || (o->tls_root_certs_pem && *o->tls_root_certs_pem);
  if (o->plaintext_api_key && explicit_tls)
    return temporal__error(TEMPORAL_EINVAL,
                           "temporal_client_options: plaintext_api_key contradicts tls / tls_root_certs_pem");
  /* A key in the clear is a leaked key: TLS unless the caller said otherwise. */
  if (o->api_key && *o->api_key && !o->plaintext_api_key) o->tls = true;
  return 0;
}

int temporal_client_connect(temporal_client **out, const temporal_client_options *opts) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "temporal_client_connect: out is NULL");
  *out = NULL;
  temporal_client_options o;
  int rc = temporal__client_read_options(&o, opts);
  if (rc != 0) return rc;
  opts = &o;
  const char *target = opts->target && *opts->target ? opts->target : "localhost:7233";

  temporal_client *client = calloc(1, sizeof *client);
  if (!client) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  rc = temporal__transport_new(&client->transport, opts);
  if (rc != 0) goto fail;
  client->namespace_ = temporal__strdup(opts->namespace_ && *opts->namespace_ ? opts->namespace_ : "default");
  client->identity =
      opts->identity && *opts->identity ? temporal__strdup(opts->identity) : temporal__default_identity();
  if (!client->namespace_ || !client->identity) {
    rc = temporal__error(TEMPORAL_ENOMEM, "out of memory");
    goto fail;
  }
  rc = fetch_system_info(client, target,
                         opts->connect_timeout > 0 ? opts->connect_timeout : DEFAULT_CONNECT_TIMEOUT);
  if (rc != 0) goto fail;
  TLOG_DEBUG("connected to %s (server %s, namespace %s)", target,
             client->server_version[0] ? client->server_version : "unknown", client->namespace_);
  *out = client;
  return 0;
fail:
  temporal_client_free(client);
  return rc;
}

void temporal_client_free(temporal_client *client) {
  if (!client) return;
  temporal__transport_free(client->transport);
  free(client->namespace_);
  free(client->identity);
  free(client->server_version);
  free(client);
}

const char *temporal_client_namespace(const temporal_client *client) {
  return client ? client->namespace_ : "";
}

const char *temporal_client_identity(const temporal_client *client) {
  return client ? client->identity : "";
}

const char *temporal_client_server_version(const temporal_client *client) {
  return client && client->server_version ? client->server_version : "";
}

int temporal__client_describe_namespace(temporal_client *client, temporal__namespace_facts *out) {
  memset(out, 0, sizeof *out);
  DescribeNamespaceRequest req = TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_NAMESPACE_REQUEST__INIT;
  req.namespace_ = client->namespace_;
  temporal__call_options copts = {.retry = TEMPORAL__RETRY_DEFAULT};
  ProtobufCMessage *resp = NULL;
  int rc = temporal__transport_call(
      client->transport, "DescribeNamespace", &req.base,
      &temporal__api__workflowservice__v1__describe_namespace_response__descriptor, &resp, &copts, NULL);
  if (rc == TEMPORAL_ENOTFOUND) return temporal__error(rc, "namespace \"%s\" not found", client->namespace_);
  if (rc != 0) return rc;
  const Temporal__Api__Workflowservice__V1__DescribeNamespaceResponse *r = (const void *)resp;
  const Temporal__Api__Namespace__V1__NamespaceInfo *info = r->namespace_info;
  if (info && info->capabilities)
    out->poll_complete_on_shutdown = info->capabilities->worker_poll_complete_on_shutdown;
  if (info && info->limits && info->limits->blob_size_limit_error > 0)
    out->blob_size_limit = info->limits->blob_size_limit_error;
  protobuf_c_message_free_unpacked(resp, NULL);
  return 0;
}

int temporal_client_check_namespace(temporal_client *client) {
  if (!client) return temporal__error(TEMPORAL_EINVAL, "temporal_client_check_namespace: client is NULL");
  temporal__namespace_facts facts;
  return temporal__client_describe_namespace(client, &facts);
}

void temporal_failure_info_free(temporal_failure_info *info) {
  if (!info) return;
  free(info->message);
  free(info->type);
  free(info->cause_message);
  free(info->cause_type);
  memset(info, 0, sizeof *info);
}
