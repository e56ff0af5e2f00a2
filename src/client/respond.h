/* The four calls that settle or heartbeat one activity attempt, built in one place for everyone who
 * sends them: the worker's reporter and heartbeat manager, and the client's async-completion handles.
 *
 *   RespondActivityTaskCompleted / Failed / Canceled, RecordActivityTaskHeartbeat
 *
 * each by task token or, when the target has no token, by ids (the *ById variants). Only the request
 * is built here; what an answer means is the caller's business (the reporter retries until settled,
 * the heartbeat manager interrupts the task, a handle turns NotFound into a message for its user), so
 * every function returns the transport's code unchanged and can hand back the call's status.
 *
 * Payloads come in as temporal_payload arrays, not as protos the caller built: every caller holds
 * them in that form already (a result's value, the heartbeat manager's pending details, the
 * arguments of a public call), and the request borrows their bytes (temporal__payloads_view), so
 * the only copy made is the one the transport packs. A caller-built Payloads proto would be a second
 * full copy of a result or of heartbeat details. A failure comes in as the Failure proto: the
 * reporter makes its own (shutdown, pause, too large, ...) and a handle makes one from an
 * application error, both with the converter's builders. */
#ifndef TEMPORAL_CLIENT_RESPOND_H
#define TEMPORAL_CLIENT_RESPOND_H

#include "converter/converter_internal.h"
#include "transport/transport.h"

/* Which attempt a call is about, and who says it. Every pointer is borrowed for the call only. */
typedef struct temporal__respond_target {
  temporal__transport *transport;
  const char *namespace_;
  const char *identity; /* NULL = "" */
  /* The attempt, by the token its task carried (exactly that attempt) ... */
  const uint8_t *task_token;
  size_t task_token_len;
  /* ... or, when task_token_len is 0, by ids (whatever attempt is current). workflow_id "" (or
   * NULL) addresses a standalone activity, whose run_id is then the activity's own run id; run_id
   * "" (or NULL) is the current run. activity_id is required. */
  const char *workflow_id;
  const char *run_id;
  const char *activity_id;
} temporal__respond_target;

typedef enum temporal__respond_kind {
  TEMPORAL__RESPOND_COMPLETED = 0,
  TEMPORAL__RESPOND_FAILED = 1,
  TEMPORAL__RESPOND_CANCELED = 2,
  TEMPORAL__RESPOND_HEARTBEAT = 3,
} temporal__respond_kind;

/* One call's content. A value, not a function per kind: the reporter retries a report as a whole,
 * whatever it is, and names it in its logs (temporal__respond_method). */
typedef struct temporal__respond_msg {
  temporal__respond_kind kind;
  /* The payloads the request carries, borrowed; count 0 leaves the field unset, except:
   *   COMPLETED  the result, at most one payload (docs/PROTOCOL.md); none = one binary/null payload,
   *              the converter's "no value", so a workflow sees the same however it was completed
   *   FAILED     last_heartbeat_details
   *   CANCELED   details
   *   HEARTBEAT  details */
  const temporal_payload *const *payloads;
  size_t payload_count;
  /* FAILED only, and required there: the failure, borrowed. */
  const Temporal__Api__Failure__V1__Failure *failure;
} temporal__respond_msg;

/* What the server answered to a heartbeat (both responses carry the same three flags). */
typedef struct temporal__heartbeat_answer {
  bool cancel_requested;
  bool activity_paused;
  bool activity_reset;
} temporal__heartbeat_answer;

/* Sends `msg` about `to` with the caller's call options (timeout, retry mode, cancel source; NULL =
 * the transport's defaults). Returns 0 or the code of temporal__transport_call unchanged
 * (TEMPORAL_ENOTFOUND, TEMPORAL_EINVAL, TEMPORAL_ETOOBIG, ...), with the transport's message, which
 * names the method; status_out (may be NULL) gets the call's last status, e.g. for
 * temporal__respond_cancel_refused. Before any call: TEMPORAL_EINVAL for a message or target that
 * breaks the rules above (with status_out's grpc_code left UNKNOWN), TEMPORAL_ENOMEM. answer_out
 * (may be NULL) is all false unless a heartbeat succeeded. */
int temporal__respond_send(const temporal__respond_target *to, const temporal__respond_msg *msg,
                           const temporal__call_options *opts, temporal__call_status *status_out,
                           temporal__heartbeat_answer *answer_out);

/* How an asynchronous send ended: rc, the last error and `status` as temporal__respond_send's, and
 * `answer` all false unless a heartbeat succeeded. Called on the transport's engine thread; must not
 * block. */
typedef void (*temporal__respond_done)(int rc, const temporal__call_status *status,
                                       const temporal__heartbeat_answer *answer, void *data);

/* temporal__respond_send without waiting (temporal__transport_call_async): 0 when the call started
 * and `done` will be called once; otherwise the code of a call that could not start (the checks
 * above, TEMPORAL_ETOOBIG for a request over the transport's limit, TEMPORAL_ENOMEM), and `done` is
 * not called. What `to` and `msg` borrow is needed only until this returns. Any thread. */
int temporal__respond_send_async(const temporal__respond_target *to, const temporal__respond_msg *msg,
                                 const temporal__call_options *opts, temporal__respond_done done, void *data);

/* The RPC's method name ("RespondActivityTaskFailedById", ...) for `kind` sent to `to`, for logs;
 * "?" for a kind out of range. */
const char *temporal__respond_method(const temporal__respond_target *to, temporal__respond_kind kind);

/* Whether a refused Canceled report means "cancellation was not requested first", which is the only
 * time the server refuses one for an attempt it still knows. It says so differently per kind:
 * INVALID_ARGUMENT "unable to mark activity as canceled without activity being request canceled
 * first" for a workflow's activity, FAILED_PRECONDITION "invalid transition from Started" for a
 * standalone one. INVALID_ARGUMENT also covers a malformed task token, so that code counts only when
 * the message speaks of cancellation. */
bool temporal__respond_cancel_refused(const temporal__call_status *status);

/* The bytes and method temporal__respond_send would send, for the unit tests (*out malloc'd, never
 * NULL on success). Same checks and errors as temporal__respond_send, without a transport. */
int temporal__respond_encode(uint8_t **out, size_t *len_out, const char **method_out,
                             const temporal__respond_target *to, const temporal__respond_msg *msg);

#endif
