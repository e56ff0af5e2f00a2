/* A binary min-heap of deadlines (deadline_heap.h). */
#include <stdlib.h>

#include "core/core.h"
#include "core/deadline_heap.h"

void temporal__deadline_heap_init(temporal__deadline_heap *h) {
  h->nodes = NULL;
  h->count = h->capacity = 0;
}

void temporal__deadline_heap_destroy(temporal__deadline_heap *h) {
  free(h->nodes);
  temporal__deadline_heap_init(h);
}

void temporal__heap_node_init(temporal__heap_node *n) {
  n->due = 0;
  n->index = TEMPORAL__HEAP_NONE;
}

static void place(temporal__deadline_heap *h, size_t i, temporal__heap_node *n) {
  h->nodes[i] = n;
  n->index = i;
}

/* Moves the node at i up while it is due before its parent; returns where it ended. */
static size_t sift_up(temporal__deadline_heap *h, size_t i) {
  temporal__heap_node *n = h->nodes[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (h->nodes[parent]->due <= n->due) break;
    place(h, i, h->nodes[parent]);
    i = parent;
  }
  place(h, i, n);
  return i;
}

static void sift_down(temporal__deadline_heap *h, size_t i) {
  temporal__heap_node *n = h->nodes[i];
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= h->count) break;
    if (child + 1 < h->count && h->nodes[child + 1]->due < h->nodes[child]->due) child++;
    if (n->due <= h->nodes[child]->due) break;
    place(h, i, h->nodes[child]);
    i = child;
  }
  place(h, i, n);
}

int temporal__deadline_heap_push(temporal__deadline_heap *h, temporal__heap_node *n) {
  if (h->count == h->capacity) {
    size_t capacity = h->capacity ? h->capacity * 2 : 64;
    temporal__heap_node **nodes = realloc(h->nodes, capacity * sizeof *nodes);
    if (!nodes) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
    h->nodes = nodes;
    h->capacity = capacity;
  }
  place(h, h->count++, n);
  sift_up(h, n->index);
  return 0;
}

temporal__heap_node *temporal__deadline_heap_top(const temporal__deadline_heap *h) {
  return h->count ? h->nodes[0] : NULL;
}

void temporal__deadline_heap_remove(temporal__deadline_heap *h, temporal__heap_node *n) {
  size_t i = n->index;
  if (i == TEMPORAL__HEAP_NONE || i >= h->count || h->nodes[i] != n) return;
  n->index = TEMPORAL__HEAP_NONE;
  temporal__heap_node *last = h->nodes[--h->count];
  if (last == n) return;
  place(h, i, last);
  if (sift_up(h, i) == i) sift_down(h, i);
}

void temporal__deadline_heap_update(temporal__deadline_heap *h, temporal__heap_node *n, int64_t due) {
  size_t i = n->index;
  if (i == TEMPORAL__HEAP_NONE || i >= h->count || h->nodes[i] != n) return;
  n->due = due;
  if (sift_up(h, i) == i) sift_down(h, i);
}
