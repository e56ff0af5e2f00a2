/* temporal-c: run C code as Temporal activities. The umbrella header. */
#ifndef TEMPORAL_H
#define TEMPORAL_H

#include "version.h"
#include "common.h"
#include "errors.h"
#include "log.h"
#include "converter.h"
#include "activity.h"
#include "executor.h"
#include "client.h"
#include "worker.h"
#include "testing.h"

#endif
