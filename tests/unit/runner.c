/* Unit-test runner: runs every registered case in a forked child with a timeout, so one crashing or
 * hanging case fails alone. Usage: unit_tests [substring-filter]. Ends with "N passed, N failed". */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

#define MAX_TESTS 1024
#define TIMEOUT_SECONDS 30

static struct {
  const char *name;
  test_fn fn;
} tests[MAX_TESTS];
static int test_count;

void test__register(const char *name, test_fn fn) {
  if (test_count == MAX_TESTS) {
    fprintf(stderr, "too many tests\n");
    abort();
  }
  tests[test_count].name = name;
  tests[test_count].fn = fn;
  test_count++;
}

static int compare_tests(const void *a, const void *b) {
  const char *na = *(const char *const *)a, *nb = *(const char *const *)b;
  return strcmp(na, nb);
}

/* Runs one case in a child; returns 0 on pass. */
static int run_one(int i) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 1;
  }
  if (pid == 0) {
    setpgid(0, 0); /* its own group, so whatever the case forks can be reaped with it */
    alarm(TIMEOUT_SECONDS);
    tests[i].fn();
    exit(0); /* exit, not _exit: LeakSanitizer checks the case at exit */
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  kill(-pid, SIGKILL); /* processes the case left behind (a timed-out case's children) */
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (WIFSIGNALED(status))
    fprintf(stderr, "  killed by signal %d%s\n", WTERMSIG(status),
            WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
  return 1;
}

int main(int argc, char **argv) {
  const char *filter = argc > 1 ? argv[1] : NULL;
  qsort(tests, (size_t)test_count, sizeof tests[0], compare_tests);
  int passed = 0, failed = 0;
  for (int i = 0; i < test_count; i++) {
    if (filter && !strstr(tests[i].name, filter)) continue;
    int rc = run_one(i);
    printf("%s %s\n", rc == 0 ? "ok  " : "FAIL", tests[i].name);
    fflush(stdout);
    if (rc == 0)
      passed++;
    else
      failed++;
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
