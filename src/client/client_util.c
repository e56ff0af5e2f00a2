/* Request builders and wait helpers shared by the client's workflow and activity calls. */
#include <stdlib.h>
#include <string.h>

#include <grpc/status.h>

#include "client/client_util.h"

int temporal__client_set_string(char **field, const char *value) {
  if (!value || !*value) return 0;
  char *copy = temporal__strdup(value);
  if (!copy) return TEMPORAL_ENOMEM;
  *field = copy;
  return 0;
}

int temporal__client_duration(Google__Protobuf__Duration **out, temporal_duration_ns d) {
  *out = NULL;
  if (d <= 0) return 0;
  Google__Protobuf__Duration *dur = malloc(sizeof *dur);
  if (!dur) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  google__protobuf__duration__init(dur);
  dur->seconds = d / TEMPORAL_SECOND;
  dur->nanos = (int32_t)(d % TEMPORAL_SECOND);
  *out = dur;
  return 0;
}

int temporal__client_task_queue(Temporal__Api__Taskqueue__V1__TaskQueue **out, const char *name) {
  *out = NULL;
  Temporal__Api__Taskqueue__V1__TaskQueue *tq = malloc(sizeof *tq);
  if (!tq) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  temporal__api__taskqueue__v1__task_queue__init(tq);
  tq->kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_NORMAL;
  if (temporal__client_set_string(&tq->name, name) != 0) {
    protobuf_c_message_free_unpacked(&tq->base, NULL);
    return TEMPORAL_ENOMEM;
  }
  *out = tq;
  return 0;
}

int temporal__client_input(Temporal__Api__Common__V1__Payloads **out, const temporal_payload *const *args,
                           size_t count) {
  *out = NULL;
  if (count == 0) return 0;
  if (!args) return temporal__error(TEMPORAL_EINVAL, "%zu arguments given but args is NULL", count);
  for (size_t i = 0; i < count; i++)
    if (!args[i]) return temporal__error(TEMPORAL_EINVAL, "argument %zu is NULL", i);
  return temporal__payloads_to_proto(out, args, count);
}

int temporal__client_result_payload(temporal_payload **out,
                                    const Temporal__Api__Common__V1__Payloads *payloads) {
  if (payloads && payloads->n_payloads > 0 && payloads->payloads[0])
    return temporal__payload_from_proto(out, payloads->payloads[0]);
  return temporal_payload_new_null(out);
}

int temporal__client_failure_simple(temporal_failure_info *out, const char *type, const char *message) {
  if (!out) return 0;
  memset(out, 0, sizeof *out);
  out->type = temporal__strdup(type);
  out->message = temporal__strdup(message ? message : "");
  if (!out->type || !out->message) {
    temporal_failure_info_free(out);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  return 0;
}

int64_t temporal__client_deadline(temporal_duration_ns timeout) {
  return timeout > 0 ? temporal__monotonic_ns() + timeout : INT64_MAX;
}

temporal_duration_ns temporal__client_poll_timeout(int64_t deadline) {
  if (deadline == INT64_MAX) return TEMPORAL__LONG_POLL_TIMEOUT;
  int64_t remaining = deadline - temporal__monotonic_ns();
  if (remaining <= 0) return 0;
  return remaining < TEMPORAL__LONG_POLL_TIMEOUT ? remaining : TEMPORAL__LONG_POLL_TIMEOUT;
}

int temporal__client_poll_expired(const temporal__call_status *status, temporal_duration_ns poll) {
  if (status->grpc_code == GRPC_STATUS_DEADLINE_EXCEEDED) return 1;
  if (status->grpc_code == GRPC_STATUS_FAILED_PRECONDITION && poll < TEMPORAL__MIN_LONG_POLL) return 2;
  return 0;
}

int temporal__client_start(char **run_id_out, temporal_client *client, const char *method,
                           const ProtobufCMessage *request,
                           const ProtobufCMessageDescriptor *response_descriptor, const char *what,
                           const char *id) {
  *run_id_out = NULL;
  temporal__call_options copts = {.retry = TEMPORAL__RETRY_DEFAULT};
  ProtobufCMessage *resp = NULL;
  int rc =
      temporal__transport_call(client->transport, method, request, response_descriptor, &resp, &copts, NULL);
  if (rc == TEMPORAL_EEXISTS) {
    char detail[512];
    snprintf(detail, sizeof detail, "%s", temporal_error_last());
    return temporal__error(rc, "%s \"%s\" is already running (%s)", what, id, detail);
  }
  if (rc != 0) return rc;
  /* Both start responses carry the new run's id in a string field named run_id. */
  const ProtobufCFieldDescriptor *f =
      protobuf_c_message_descriptor_get_field_by_name(response_descriptor, "run_id");
  const char *run_id = f ? *(const char *const *)((const uint8_t *)resp + f->offset) : "";
  *run_id_out = temporal__strdup(run_id ? run_id : "");
  protobuf_c_message_free_unpacked(resp, NULL);
  return *run_id_out ? 0 : TEMPORAL_ENOMEM;
}
