/* The hello example's activities: the Python docs' say_hello, once for each kind of activity.
 *
 *   say_hello_activity  sync:  runs on the worker's thread pool
 *   say_hello_async     async: starts on the worker's event loop, answers from a libuv timer
 *   say_hello_process   sync:  the same as say_hello_activity, served by a worker whose
 *                              activity_executor is a process pool, so it runs in a child process
 *
 * Each returns "Hello, <name>!" and logs, with temporal_activity_log, the pid it ran in. A sync
 * function does not choose where it runs: the executor of the worker it is registered with does
 * (hello_worker.c). hello_worker and the unit tests (tests/unit/test_examples_hello.c) link this
 * file; build it with your program, e.g.
 *   cc hello_worker.c hello_activities.c $(pkg-config --cflags --libs temporal-c) */
#ifndef HELLO_ACTIVITIES_H
#define HELLO_ACTIVITIES_H

#include <temporal/temporal.h>

/* How long say_hello_async waits on the loop before it answers. */
#define HELLO_ASYNC_DELAY_MS 50

temporal_result *say_hello_activity(temporal_activity *activity, const temporal_args *args);
void say_hello_async(temporal_activity *activity, const temporal_args *args);
temporal_result *say_hello_process(temporal_activity *activity, const temporal_args *args);

#endif
