/* An intrusive, doubly linked, circular queue, modelled on libuv's src/queue.h.
 *
 * A queue is a struct temporal__queue used as its head; an empty queue's head points at itself. An
 * element embeds a struct temporal__queue as one of its fields (its node), and TEMPORAL__QUEUE_DATA
 * gets the element back from the node. Nothing is allocated, so linking and unlinking cannot fail,
 * and removing an element needs no walk. A node is in at most one queue at a time; callers do their
 * own locking.
 *
 *   struct item { int value; struct temporal__queue node; };
 *   struct temporal__queue q;
 *   temporal__queue_init(&q);
 *   temporal__queue_insert_tail(&q, &it->node);
 *   while (!temporal__queue_empty(&q)) {
 *     struct temporal__queue *n = temporal__queue_head(&q);
 *     temporal__queue_remove(n);
 *     struct item *first = TEMPORAL__QUEUE_DATA(n, struct item, node);
 *   } */
#ifndef TEMPORAL_CORE_QUEUE_H
#define TEMPORAL_CORE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

struct temporal__queue {
  struct temporal__queue *next;
  struct temporal__queue *prev;
};

/* The element of type `type` whose member `field` is the node `ptr`. */
#define TEMPORAL__QUEUE_DATA(ptr, type, field) ((type *)(void *)((char *)(ptr)-offsetof(type, field)))

/* Makes `q` an empty queue (a head that points at itself). A head must be initialised before use;
 * a node need not be before it is inserted. */
static inline void temporal__queue_init(struct temporal__queue *q) {
  q->next = q;
  q->prev = q;
}

static inline bool temporal__queue_empty(const struct temporal__queue *q) {
  return q->next == q;
}

/* The first node of a non-empty queue (of an empty one: the head itself, which is no element). */
static inline struct temporal__queue *temporal__queue_head(const struct temporal__queue *q) {
  return q->next;
}

/* Links `node` in last, just before the head. */
static inline void temporal__queue_insert_tail(struct temporal__queue *q, struct temporal__queue *node) {
  node->next = q;
  node->prev = q->prev;
  q->prev->next = node;
  q->prev = node;
}

/* Links `node` in first, just after the head. */
static inline void temporal__queue_insert_head(struct temporal__queue *q, struct temporal__queue *node) {
  node->prev = q;
  node->next = q->next;
  q->next->prev = node;
  q->next = node;
}

/* Unlinks `node` from the queue that holds it. The node is left as an empty queue of its own, so a
 * stale pointer to its neighbours cannot be followed and a second remove changes nothing. */
static inline void temporal__queue_remove(struct temporal__queue *node) {
  node->prev->next = node->next;
  node->next->prev = node->prev;
  temporal__queue_init(node);
}

#endif
