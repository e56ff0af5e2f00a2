/* The activity calls of respond.h: one builder for the eight request types (four calls, by token or
 * by ids), one send. */
#include <stdlib.h>
#include <string.h>

#include <grpc/status.h>

#include "client/respond.h"
#include "core/core.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

typedef Temporal__Api__Workflowservice__V1__RespondActivityTaskCompletedRequest CompletedRequest;
typedef Temporal__Api__Workflowservice__V1__RespondActivityTaskCompletedByIdRequest CompletedByIdRequest;
typedef Temporal__Api__Workflowservice__V1__RespondActivityTaskFailedRequest FailedRequest;
typedef Temporal__Api__Workflowservice__V1__RespondActivityTaskFailedByIdRequest FailedByIdRequest;
typedef Temporal__Api__Workflowservice__V1__RespondActivityTaskCanceledRequest CanceledRequest;
typedef Temporal__Api__Workflowservice__V1__RespondActivityTaskCanceledByIdRequest CanceledByIdRequest;
typedef Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatRequest HeartbeatRequest;
typedef Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatResponse HeartbeatResponse;
typedef Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatByIdRequest HeartbeatByIdRequest;
typedef Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatByIdResponse HeartbeatByIdResponse;

/* Per kind, [0] by token and [1] by ids. */
static const struct {
  const char *method[2];
  const ProtobufCMessageDescriptor *response[2];
} calls[] = {
    [TEMPORAL__RESPOND_COMPLETED] =
        {{"RespondActivityTaskCompleted", "RespondActivityTaskCompletedById"},
         {&temporal__api__workflowservice__v1__respond_activity_task_completed_response__descriptor,
          &temporal__api__workflowservice__v1__respond_activity_task_completed_by_id_response__descriptor}},
    [TEMPORAL__RESPOND_FAILED] =
        {{"RespondActivityTaskFailed", "RespondActivityTaskFailedById"},
         {&temporal__api__workflowservice__v1__respond_activity_task_failed_response__descriptor,
          &temporal__api__workflowservice__v1__respond_activity_task_failed_by_id_response__descriptor}},
    [TEMPORAL__RESPOND_CANCELED] =
        {{"RespondActivityTaskCanceled", "RespondActivityTaskCanceledById"},
         {&temporal__api__workflowservice__v1__respond_activity_task_canceled_response__descriptor,
          &temporal__api__workflowservice__v1__respond_activity_task_canceled_by_id_response__descriptor}},
    [TEMPORAL__RESPOND_HEARTBEAT] =
        {{"RecordActivityTaskHeartbeat", "RecordActivityTaskHeartbeatById"},
         {&temporal__api__workflowservice__v1__record_activity_task_heartbeat_response__descriptor,
          &temporal__api__workflowservice__v1__record_activity_task_heartbeat_by_id_response__descriptor}},
};

static bool kind_ok(temporal__respond_kind kind) {
  return (unsigned)kind < sizeof calls / sizeof calls[0];
}

static int by_ids(const temporal__respond_target *to) {
  return to->task_token_len == 0;
}

const char *temporal__respond_method(const temporal__respond_target *to, temporal__respond_kind kind) {
  return to && kind_ok(kind) ? calls[kind].method[by_ids(to)] : "?";
}

/* One request being built: a message of one of the eight types, and what it borrows that is not the
 * caller's. */
typedef struct request {
  union {
    CompletedRequest completed;
    CompletedByIdRequest completed_by_id;
    FailedRequest failed;
    FailedByIdRequest failed_by_id;
    CanceledRequest canceled;
    CanceledByIdRequest canceled_by_id;
    HeartbeatRequest heartbeat;
    HeartbeatByIdRequest heartbeat_by_id;
  } m;
  ProtobufCMessage *message; /* the base of the member in use */
  temporal__payloads_view view;
  temporal_payload *none; /* the binary/null result of a completion without a value */
} request;

/* protobuf-c's string fields are not const, but a message is only read while it is packed. */
static char *or_empty(const char *s) {
  return (char *)(s ? s : "");
}

/* The four token requests name their addressing fields alike, and so do the four ById requests. */
#define ADDRESS_BY_TOKEN(req, to)                                                                \
  do {                                                                                           \
    (req).task_token =                                                                           \
        (ProtobufCBinaryData){.len = (to)->task_token_len, .data = (uint8_t *)(to)->task_token}; \
    (req).namespace_ = or_empty((to)->namespace_);                                               \
    (req).identity = or_empty((to)->identity);                                                   \
  } while (0)
#define ADDRESS_BY_IDS(req, to)                      \
  do {                                               \
    (req).namespace_ = or_empty((to)->namespace_);   \
    (req).workflow_id = or_empty((to)->workflow_id); \
    (req).run_id = or_empty((to)->run_id);           \
    (req).activity_id = or_empty((to)->activity_id); \
    (req).identity = or_empty((to)->identity);       \
  } while (0)

static void release(request *r) {
  temporal__payloads_view_release(&r->view);
  temporal_payload_free(r->none);
  r->none = NULL;
}

static int check(const temporal__respond_target *to, const temporal__respond_msg *msg) {
  static const char fn[] = "temporal__respond";
  if (!to || !msg) return temporal__error(TEMPORAL_EINVAL, "%s: NULL argument", fn);
  if (!kind_ok(msg->kind)) return temporal__error(TEMPORAL_EINVAL, "%s: unknown kind %d", fn, (int)msg->kind);
  const char *method = calls[msg->kind].method[by_ids(to)];
  if (by_ids(to) && (!to->activity_id || !*to->activity_id))
    return temporal__error(TEMPORAL_EINVAL, "%s: neither a task token nor an activity id", method);
  if ((msg->kind == TEMPORAL__RESPOND_FAILED) != (msg->failure != NULL))
    return temporal__error(TEMPORAL_EINVAL,
                           "%s: a failure goes with RespondActivityTaskFailed, and only there", method);
  if (msg->kind == TEMPORAL__RESPOND_COMPLETED && msg->payload_count > 1)
    return temporal__error(TEMPORAL_EINVAL, "%s: %zu result payloads; an activity has one result", method,
                           msg->payload_count);
  return 0;
}

/* Fills the request message of msg->kind, addressed by token or by ids, around payloads `p`. */
static void fill_message(request *r, const temporal__respond_target *to, const temporal__respond_msg *msg,
                         Temporal__Api__Common__V1__Payloads *p) {
  Temporal__Api__Failure__V1__Failure *failure = (Temporal__Api__Failure__V1__Failure *)msg->failure;
  bool ids = by_ids(to);
  switch (msg->kind) {
    case TEMPORAL__RESPOND_COMPLETED:
      if (!ids) {
        CompletedRequest *q = &r->m.completed;
        temporal__api__workflowservice__v1__respond_activity_task_completed_request__init(q);
        ADDRESS_BY_TOKEN(*q, to);
        q->result = p;
        r->message = &q->base;
      } else {
        CompletedByIdRequest *q = &r->m.completed_by_id;
        temporal__api__workflowservice__v1__respond_activity_task_completed_by_id_request__init(q);
        ADDRESS_BY_IDS(*q, to);
        q->result = p;
        r->message = &q->base;
      }
      break;
    case TEMPORAL__RESPOND_FAILED:
      if (!ids) {
        FailedRequest *q = &r->m.failed;
        temporal__api__workflowservice__v1__respond_activity_task_failed_request__init(q);
        ADDRESS_BY_TOKEN(*q, to);
        q->failure = failure;
        q->last_heartbeat_details = p;
        r->message = &q->base;
      } else {
        FailedByIdRequest *q = &r->m.failed_by_id;
        temporal__api__workflowservice__v1__respond_activity_task_failed_by_id_request__init(q);
        ADDRESS_BY_IDS(*q, to);
        q->failure = failure;
        q->last_heartbeat_details = p;
        r->message = &q->base;
      }
      break;
    case TEMPORAL__RESPOND_CANCELED:
      if (!ids) {
        CanceledRequest *q = &r->m.canceled;
        temporal__api__workflowservice__v1__respond_activity_task_canceled_request__init(q);
        ADDRESS_BY_TOKEN(*q, to);
        q->details = p;
        r->message = &q->base;
      } else {
        CanceledByIdRequest *q = &r->m.canceled_by_id;
        temporal__api__workflowservice__v1__respond_activity_task_canceled_by_id_request__init(q);
        ADDRESS_BY_IDS(*q, to);
        q->details = p;
        r->message = &q->base;
      }
      break;
    case TEMPORAL__RESPOND_HEARTBEAT:
      if (!ids) {
        HeartbeatRequest *q = &r->m.heartbeat;
        temporal__api__workflowservice__v1__record_activity_task_heartbeat_request__init(q);
        ADDRESS_BY_TOKEN(*q, to);
        q->details = p;
        r->message = &q->base;
      } else {
        HeartbeatByIdRequest *q = &r->m.heartbeat_by_id;
        temporal__api__workflowservice__v1__record_activity_task_heartbeat_by_id_request__init(q);
        ADDRESS_BY_IDS(*q, to);
        q->details = p;
        r->message = &q->base;
      }
      break;
  }
}

static int build(request *r, const temporal__respond_target *to, const temporal__respond_msg *msg) {
  memset(r, 0, sizeof *r);
  int rc = check(to, msg);
  if (rc != 0) return rc;
  const temporal_payload *const *payloads = msg->payloads;
  size_t count = msg->payload_count;
  if (msg->kind == TEMPORAL__RESPOND_COMPLETED && count == 0) {
    if ((rc = temporal_payload_new_null(&r->none)) != 0) return rc;
    payloads = (const temporal_payload *const *)&r->none;
    count = 1;
  }
  if ((rc = temporal__payloads_view_init(&r->view, payloads, count)) != 0) {
    release(r);
    return rc;
  }
  fill_message(r, to, msg, count ? &r->view.payloads : NULL);
  return 0;
}

/* The server's heartbeat flags, from either of the two heartbeat responses. */
static temporal__heartbeat_answer answer_of(const ProtobufCMessage *resp, int ids) {
  if (!ids) {
    const HeartbeatResponse *h = (const HeartbeatResponse *)resp;
    return (temporal__heartbeat_answer){h->cancel_requested, h->activity_paused, h->activity_reset};
  }
  const HeartbeatByIdResponse *h = (const HeartbeatByIdResponse *)resp;
  return (temporal__heartbeat_answer){h->cancel_requested, h->activity_paused, h->activity_reset};
}

int temporal__respond_send(const temporal__respond_target *to, const temporal__respond_msg *msg,
                           const temporal__call_options *opts, temporal__call_status *status_out,
                           temporal__heartbeat_answer *answer_out) {
  if (answer_out) *answer_out = (temporal__heartbeat_answer){false, false, false};
  if (status_out) *status_out = (temporal__call_status){.grpc_code = GRPC_STATUS_UNKNOWN, .message = ""};
  request r;
  int rc = build(&r, to, msg);
  if (rc != 0) return rc;
  int ids = by_ids(to);
  ProtobufCMessage *resp = NULL;
  rc = temporal__transport_call(to->transport, calls[msg->kind].method[ids], r.message,
                                calls[msg->kind].response[ids], &resp, opts, status_out);
  release(&r);
  if (rc == 0 && answer_out && msg->kind == TEMPORAL__RESPOND_HEARTBEAT) *answer_out = answer_of(resp, ids);
  if (resp) protobuf_c_message_free_unpacked(resp, NULL);
  return rc;
}

/* What an asynchronous send needs when its call ends. */
typedef struct pending_send {
  temporal__respond_kind kind;
  int ids;
  temporal__respond_done done;
  void *data;
} pending_send;

static void send_ended(int rc, const ProtobufCMessage *resp, const temporal__call_status *status,
                       void *data) {
  pending_send p = *(pending_send *)data;
  free(data);
  temporal__heartbeat_answer answer = {false, false, false};
  if (rc == 0 && p.kind == TEMPORAL__RESPOND_HEARTBEAT) answer = answer_of(resp, p.ids);
  p.done(rc, status, &answer, p.data);
}

int temporal__respond_send_async(const temporal__respond_target *to, const temporal__respond_msg *msg,
                                 const temporal__call_options *opts, temporal__respond_done done,
                                 void *data) {
  request r;
  int rc = build(&r, to, msg);
  if (rc != 0) return rc;
  pending_send *p = malloc(sizeof *p);
  if (!p) {
    release(&r);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  int ids = by_ids(to);
  *p = (pending_send){.kind = msg->kind, .ids = ids, .done = done, .data = data};
  /* The transport packs the request before it returns, so what it borrows is released at once. */
  rc = temporal__transport_call_async(to->transport, calls[msg->kind].method[ids], r.message,
                                      calls[msg->kind].response[ids], opts, send_ended, p);
  release(&r);
  if (rc != 0) free(p);
  return rc;
}

bool temporal__respond_cancel_refused(const temporal__call_status *status) {
  if (!status) return false;
  if (status->grpc_code == GRPC_STATUS_FAILED_PRECONDITION) return true;
  return status->grpc_code == GRPC_STATUS_INVALID_ARGUMENT && strstr(status->message, "cancel") != NULL;
}

int temporal__respond_encode(uint8_t **out, size_t *len_out, const char **method_out,
                             const temporal__respond_target *to, const temporal__respond_msg *msg) {
  if (!out || !len_out) return temporal__error(TEMPORAL_EINVAL, "temporal__respond_encode: NULL argument");
  *out = NULL;
  *len_out = 0;
  request r;
  int rc = build(&r, to, msg);
  if (rc != 0) return rc;
  size_t len = protobuf_c_message_get_packed_size(r.message);
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf) {
    release(&r);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  protobuf_c_message_pack(r.message, buf);
  release(&r);
  if (method_out) *method_out = calls[msg->kind].method[by_ids(to)];
  *out = buf;
  *len_out = len;
  return 0;
}
