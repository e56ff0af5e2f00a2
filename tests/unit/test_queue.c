/* The intrusive queue (core/queue.h) and the FIFO served by threads (core/work_queue.h). */
#include <stdatomic.h>
#include <unistd.h>

#include "core/core.h"
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

static atomic_int ran;

static void count_item(temporal__queue *node, void *data) {
  (void)data;
  usleep(1000);
  atomic_fetch_add(&ran, TEMPORAL__QUEUE_DATA(node, item, link)->id);
}

TEST(work_queue_runs_everything_queued_before_stop) {
  temporal__work_queue wq;
  atomic_store(&ran, 0);
  CHECK_EQ_INT(0, temporal__work_queue_start(&wq, 3, count_item, NULL));
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
