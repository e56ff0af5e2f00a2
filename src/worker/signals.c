/* SIGINT/SIGTERM -> temporal_worker_shutdown. The handler only does async-signal-safe work (an
 * atomic flag and sem_post inside temporal_worker_shutdown); a second signal restores the default
 * action so an impatient Ctrl-C still ends the program. */
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "core/core.h"
#include "worker/worker_internal.h"

static _Atomic(temporal_worker *) signal_worker;
static struct sigaction old_int, old_term;
static bool installed;

static void on_signal(int signo) {
  temporal_worker *w = atomic_exchange(&signal_worker, NULL);
  if (w) {
    temporal_worker_shutdown(w);
  } else {
    signal(signo, SIG_DFL);
    raise(signo);
  }
}

void temporal__signals_forget(temporal_worker *w) {
  temporal_worker *expected = w;
  atomic_compare_exchange_strong(&signal_worker, &expected, NULL);
}

int temporal_worker_shutdown_on_signals(temporal_worker *w) {
  if (!w) {
    if (installed) {
      atomic_store(&signal_worker, NULL);
      sigaction(SIGINT, &old_int, NULL);
      sigaction(SIGTERM, &old_term, NULL);
      installed = false;
    }
    return 0;
  }
  atomic_store(&signal_worker, w);
  if (installed) return 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGINT, &sa, &old_int) != 0 || sigaction(SIGTERM, &sa, &old_term) != 0)
    return temporal__error(TEMPORAL_ESYSTEM, "sigaction failed");
  installed = true;
  return 0;
}
