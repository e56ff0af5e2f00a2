/* Internal: what the worker needs from a client. */
#ifndef TEMPORAL_CLIENT_INTERNAL_H
#define TEMPORAL_CLIENT_INTERNAL_H

#include "temporal/client.h"
#include "transport/transport.h"

struct temporal_client {
  temporal__transport *transport;
  char *namespace_;
  char *identity;
  char *server_version;
};

/* What DescribeNamespace says that the worker acts on. */
typedef struct temporal__namespace_facts {
  /* The server ends a worker's long polls itself once it calls ShutdownWorker (capability
   * worker_poll_complete_on_shutdown); otherwise the worker must cancel them. */
  bool poll_complete_on_shutdown;
  /* The largest payload the server accepts in history (limits.blob_size_limit_error); 0 = not said. */
  int64_t blob_size_limit;
} temporal__namespace_facts;

/* DescribeNamespace: TEMPORAL_ENOTFOUND (with the name) when the namespace does not exist. */
/* `opts` (NULL = defaults) checked and copied into *o, a struct of the current version: fields an
 * older version lacks take their defaults. Resolves whether TLS is on (an API key turns it on). */
int temporal__client_read_options(temporal_client_options *o, const temporal_client_options *opts);

int temporal__client_describe_namespace(temporal_client *client, temporal__namespace_facts *out);

#endif
