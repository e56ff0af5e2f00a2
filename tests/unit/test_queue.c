/* The intrusive queue (core/queue.h), the FIFO served by threads (core/work_queue.h) and the
 * deadline heap (core/deadline_heap.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "core/core.h"
#include "core/deadline_heap.h"
#include "core/queue.h"
#include "core/work_queue.h"
#include "test.h"

typedef struct item {
  int id;
  temporal__queue link;
} item;

static int pop_id(temporal__queue *q) {
  temporal__queue *node = temporal__queue_pop(q);
  return node ? TEMPORAL__QUEUE_DATA(node, item, link)->id : -1;
}

TEST(queue_keeps_order_and_removes_in_place) {
  temporal__queue q;
  temporal__queue_init(&q);
  CHECK(temporal__queue_empty(&q));
  CHECK(temporal__queue_pop(&q) == NULL);
  item items[4];
  for (int i = 0; i < 4; i++) {
    items[i].id = i;
    temporal__queue_insert_tail(&q, &items[i].link);
  }
  item head = {.id = 9};
  temporal__queue_insert_head(&q, &head.link);
  CHECK_EQ_INT(9, TEMPORAL__QUEUE_DATA(temporal__queue_head(&q), item, link)->id);
  temporal__queue_remove(&items[2].link);
  temporal__queue_remove(&items[2].link); /* removed twice: harmless */
  int seen = 0;
  temporal__queue *node;
  TEMPORAL__QUEUE_FOREACH(node, &q) seen = seen * 10 + TEMPORAL__QUEUE_DATA(node, item, link)->id;
  CHECK_EQ_INT(9013, seen);
  CHECK_EQ_INT(9, pop_id(&q));
  CHECK_EQ_INT(0, pop_id(&q));
  CHECK_EQ_INT(1, pop_id(&q));
  CHECK_EQ_INT(3, pop_id(&q));
  CHECK_EQ_INT(-1, pop_id(&q));
  CHECK(temporal__queue_empty(&q));
}

TEST(queue_move_appends_everything_in_order) {
  temporal__queue from, to;
  temporal__queue_init(&from);
  temporal__queue_init(&to);
  item items[5];
  for (int i = 0; i < 5; i++) items[i].id = i;
  temporal__queue_move(&from, &to); /* an empty move changes nothing */
  CHECK(temporal__queue_empty(&to));
  temporal__queue_insert_tail(&to, &items[0].link);
  for (int i = 1; i < 5; i++) temporal__queue_insert_tail(&from, &items[i].link);
  temporal__queue_move(&from, &to);
  CHECK(temporal__queue_empty(&from));
  for (int i = 0; i < 5; i++) CHECK_EQ_INT(i, pop_id(&to));
  CHECK(temporal__queue_empty(&to));
}

static atomic_int ran;

static void count_item(temporal__queue *node, void *data) {
  (void)data;
  usleep(1000);
  atomic_fetch_add(&ran, TEMPORAL__QUEUE_DATA(node, item, link)->id);
}

TEST(work_queue_runs_everything_queued_before_stop) {
  temporal__work_queue wq;
  atomic_store(&ran, 0);
  CHECK_EQ_INT(0, temporal__work_queue_start(&wq, 3, 3, count_item, NULL));
  item items[50];
  int expected = 0;
  for (int i = 0; i < 50; i++) {
    items[i].id = i + 1;
    expected += i + 1;
    CHECK_EQ_INT(0, temporal__work_queue_push(&wq, &items[i].link));
  }
  temporal__work_queue_stop(&wq); /* drains: every item ran, then the threads are joined */
  CHECK_EQ_INT(expected, atomic_load(&ran));
  temporal__work_queue_stop(&wq); /* a second stop is a no-op */
}

/* Items that hold their thread until released: how many threads the queue starts for them. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static int holding;

static void hold_item(temporal__queue *node, void *data) {
  (void)node;
  (void)data;
  pthread_mutex_lock(&gate_mu);
  holding++;
  pthread_cond_broadcast(&gate_cond);
  while (!gate_open) pthread_cond_wait(&gate_cond, &gate_mu);
  holding--;
  pthread_mutex_unlock(&gate_mu);
}

static void wait_holding(int n) {
  pthread_mutex_lock(&gate_mu);
  while (holding < n) pthread_cond_wait(&gate_cond, &gate_mu);
  pthread_mutex_unlock(&gate_mu);
}

static void open_gate(void) {
  pthread_mutex_lock(&gate_mu);
  gate_open = true;
  pthread_cond_broadcast(&gate_cond);
  pthread_mutex_unlock(&gate_mu);
}

TEST(work_queue_starts_threads_as_items_need_them_up_to_its_limit) {
  temporal__work_queue wq;
  CHECK_EQ_INT(0, temporal__work_queue_start(&wq, 1, 5000, hold_item, NULL));
  CHECK_EQ_INT(1, temporal__work_queue_threads(&wq)); /* sized for thousands, one thread while idle */
  item items[4];
  for (int i = 0; i < 4; i++) CHECK_EQ_INT(0, temporal__work_queue_push(&wq, &items[i].link));
  wait_holding(4); /* four items held at once: none waited for another */
  CHECK_EQ_INT(4, temporal__work_queue_threads(&wq));
  open_gate();
  temporal__work_queue_stop(&wq);
}

TEST(work_queue_queues_beyond_its_limit_and_runs_everything) {
  temporal__work_queue wq;
  CHECK_EQ_INT(0, temporal__work_queue_start(&wq, 1, 2, hold_item, NULL));
  item items[5];
  for (int i = 0; i < 5; i++) CHECK_EQ_INT(0, temporal__work_queue_push(&wq, &items[i].link));
  wait_holding(2);
  CHECK_EQ_INT(2, temporal__work_queue_threads(&wq));
  open_gate();
  temporal__work_queue_stop(&wq); /* the three that waited ran after the gate opened */
  CHECK_EQ_INT(0, holding);
}

/* The deadline heap against a plain scan: after each of many random pushes, moves and removals, the
 * top is the node due first, and every node knows its place. */
TEST(deadline_heap_top_is_always_the_earliest) {
  enum { N = 300 };
  temporal__heap_node nodes[N];
  bool in[N] = {false};
  temporal__deadline_heap heap;
  temporal__deadline_heap_init(&heap);
  for (int i = 0; i < N; i++) temporal__heap_node_init(&nodes[i]);
  unsigned int seed = 12345;
  for (int step = 0; step < 5000; step++) {
    seed = seed * 1103515245u + 12345u;
    int i = (int)((seed >> 8) % N);
    int64_t due = (int64_t)((seed >> 4) % 100000);
    switch ((seed >> 20) % 3) {
      case 0:
        if (!in[i]) {
          nodes[i].due = due;
          CHECK_EQ_INT(0, temporal__deadline_heap_push(&heap, &nodes[i]));
          in[i] = true;
        }
        break;
      case 1:
        temporal__deadline_heap_update(&heap, &nodes[i], due); /* a node in no heap stays out */
        if (in[i]) CHECK(nodes[i].due == due);
        break;
      default:
        temporal__deadline_heap_remove(&heap, &nodes[i]);
        in[i] = false;
        CHECK(nodes[i].index == TEMPORAL__HEAP_NONE);
        break;
    }
    int64_t earliest = INT64_MAX;
    size_t count = 0;
    for (int k = 0; k < N; k++) {
      if (!in[k]) continue;
      count++;
      if (nodes[k].due < earliest) earliest = nodes[k].due;
      CHECK(heap.nodes[nodes[k].index] == &nodes[k]);
    }
    CHECK_EQ_INT((long long)count, (long long)heap.count);
    temporal__heap_node *top = temporal__deadline_heap_top(&heap);
    if (count)
      CHECK(top && top->due == earliest);
    else
      CHECK(top == NULL);
  }
  temporal__deadline_heap_destroy(&heap);
}
