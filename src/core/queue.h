/* Internal: the one intrusive queue of the library, for every FIFO and list of in-flight things.
 *
 * Modelled on libuv's src/queue.h: a circular doubly linked list whose nodes live inside the
 * queued objects, so queueing never allocates and removing a node needs no search. A queue is a
 * head node linked to itself when empty; an element's node is linked into it.
 *
 *   struct job { int id; temporal__queue link; };
 *   temporal__queue q;  temporal__queue_init(&q);
 *   temporal__queue_insert_tail(&q, &j->link);
 *   struct job *first = TEMPORAL__QUEUE_DATA(temporal__queue_head(&q), struct job, link);
 *
 * No locking: every queue is guarded by its owner's lock, which the owner's comment names. */
#ifndef TEMPORAL_CORE_QUEUE_H
#define TEMPORAL_CORE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct temporal__queue {
  struct temporal__queue *next;
  struct temporal__queue *prev;
} temporal__queue;

/* The object that holds `node` as its member `field`. */
#define TEMPORAL__QUEUE_DATA(node, type, field) ((type *)((char *)(node)-offsetof(type, field)))

/* An empty queue, or a node that is in no queue (so that removing it again is harmless). */
static inline void temporal__queue_init(temporal__queue *q) {
  q->next = q->prev = q;
}

static inline bool temporal__queue_empty(const temporal__queue *q) {
  return q->next == q;
}

/* The first node; only when the queue is not empty. */
static inline temporal__queue *temporal__queue_head(const temporal__queue *q) {
  return q->next;
}

static inline void temporal__queue_insert_tail(temporal__queue *q, temporal__queue *node) {
  node->next = q;
  node->prev = q->prev;
  node->prev->next = node;
  q->prev = node;
}

static inline void temporal__queue_insert_head(temporal__queue *q, temporal__queue *node) {
  node->next = q->next;
  node->prev = q;
  node->next->prev = node;
  q->next = node;
}

/* Unlinks `node` from its queue and leaves it self-linked, so a second remove does nothing. */
static inline void temporal__queue_remove(temporal__queue *node) {
  node->prev->next = node->next;
  node->next->prev = node->prev;
  temporal__queue_init(node);
}

/* Takes the first node off the queue; NULL when it is empty. */
static inline temporal__queue *temporal__queue_pop(temporal__queue *q) {
  if (temporal__queue_empty(q)) return NULL;
  temporal__queue *node = q->next;
  temporal__queue_remove(node);
  return node;
}

/* Moves every node of `from`, in order, to the tail of `to`; `from` is left empty. O(1). */
static inline void temporal__queue_move(temporal__queue *from, temporal__queue *to) {
  if (temporal__queue_empty(from)) return;
  from->next->prev = to->prev;
  to->prev->next = from->next;
  from->prev->next = to;
  to->prev = from->prev;
  temporal__queue_init(from);
}

/* Iterates over the nodes of `q`; the body must not unlink any node. */
#define TEMPORAL__QUEUE_FOREACH(node, q) for ((node) = (q)->next; (node) != (q); (node) = (node)->next)

#endif
