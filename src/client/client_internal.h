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

#endif
