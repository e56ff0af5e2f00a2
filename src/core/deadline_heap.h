/* Internal: a min-heap of deadlines, for whatever sleeps until the earliest of many (local timeouts):
 * the next one in O(1), adding, moving and removing one in O(log n), so nothing rescans every
 * entry when one changes. Nodes are intrusive, like core/queue.h; no locking (the owner's lock). */
#ifndef TEMPORAL_CORE_DEADLINE_HEAP_H
#define TEMPORAL_CORE_DEADLINE_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct temporal__heap_node {
  int64_t due;  /* monotonic ns: the key */
  size_t index; /* its place in the heap; TEMPORAL__HEAP_NONE when in none */
} temporal__heap_node;

#define TEMPORAL__HEAP_NONE SIZE_MAX

typedef struct temporal__deadline_heap {
  temporal__heap_node **nodes;
  size_t count, capacity;
} temporal__deadline_heap;

void temporal__deadline_heap_init(temporal__deadline_heap *heap);
void temporal__deadline_heap_destroy(temporal__deadline_heap *heap);
/* A node that is in no heap (so removing it is harmless). */
void temporal__heap_node_init(temporal__heap_node *node);

/* Adds `node` with its `due`; TEMPORAL_ENOMEM when the heap cannot grow (the node stays out). */
int temporal__deadline_heap_push(temporal__deadline_heap *heap, temporal__heap_node *node);
/* The node due first; NULL when empty. */
temporal__heap_node *temporal__deadline_heap_top(const temporal__deadline_heap *heap);
/* Takes `node` out; nothing when it is in no heap. */
void temporal__deadline_heap_remove(temporal__deadline_heap *heap, temporal__heap_node *node);
/* Gives a node in the heap a new `due` (earlier or later). */
void temporal__deadline_heap_update(temporal__deadline_heap *heap, temporal__heap_node *node, int64_t due);

#endif
