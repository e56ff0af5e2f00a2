/* Payloads: construction, copies, accessors, and encoding JSON values as json/plain. */
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"

/* Data and metadata values are stored with one extra NUL byte that is not counted in their length,
 * so they are never NULL (even when empty) and the encoding can be handed out as a C string. */
static uint8_t *copy_bytes(const void *data, size_t len) {
  if (len == SIZE_MAX) return NULL;
  uint8_t *copy = malloc(len + 1);
  if (!copy) return NULL;
  if (len) memcpy(copy, data, len);
  copy[len] = '\0';
  return copy;
}

/* An empty payload with room for `meta_count` metadata entries. */
static temporal_payload *payload_alloc(size_t meta_count) {
  temporal_payload *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  if (meta_count) {
    p->meta = calloc(meta_count, sizeof *p->meta);
    if (!p->meta) {
      free(p);
      return NULL;
    }
  }
  return p;
}

static int payload_add_meta(temporal_payload *p, const char *key, const void *value, size_t len) {
  temporal__meta *m = &p->meta[p->meta_count];
  m->key = strdup(key);
  m->value = copy_bytes(value, len);
  if (!m->key || !m->value) {
    free(m->key);
    free(m->value);
    m->key = NULL;
    m->value = NULL;
    return TEMPORAL_ENOMEM;
  }
  m->len = len;
  p->meta_count++;
  return 0;
}

/* A payload of one encoding whose data (`data`, `len`) is copied. */
static int payload_build(temporal_payload **out, const char *encoding, const void *data, size_t len) {
  temporal_payload *p = payload_alloc(1);
  if (!p) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  if (payload_add_meta(p, "encoding", encoding, strlen(encoding)) != 0 ||
      !(p->data = copy_bytes(data, len))) {
    temporal_payload_free(p);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  p->len = len;
  *out = p;
  return 0;
}

void temporal_payload_free(temporal_payload *payload) {
  if (!payload) return;
  for (size_t i = 0; i < payload->meta_count; i++) {
    free(payload->meta[i].key);
    free(payload->meta[i].value);
  }
  free(payload->meta);
  free(payload->data);
  free(payload);
}

void temporal__payload_array_free(temporal_payload **payloads, size_t count) {
  if (!payloads) return;
  for (size_t i = 0; i < count; i++) temporal_payload_free(payloads[i]);
  free(payloads);
}

int temporal_payload_new_null(temporal_payload **out) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "temporal_payload_new_null: out is NULL");
  return payload_build(out, TEMPORAL_ENCODING_NULL, NULL, 0);
}

int temporal_payload_new_bytes(temporal_payload **out, const void *data, size_t len) {
  if (!out || (!data && len))
    return temporal__error(TEMPORAL_EINVAL, "temporal_payload_new_bytes: NULL argument");
  return payload_build(out, TEMPORAL_ENCODING_BINARY, data, len);
}

/* json_dump_callback sink: appends to a growing buffer of ours, so the encoded bytes are ours to
 * keep without a second copy and without mixing jansson's allocator (which a user may replace)
 * with free(). */
typedef struct dump_buffer {
  uint8_t *data;
  size_t len;
  size_t cap;
  bool oom;
} dump_buffer;

static int dump_append(const char *chunk, size_t size, void *data) {
  dump_buffer *b = data;
  b->oom = true; /* until the chunk is in */
  if (size > SIZE_MAX - b->len - 1) return -1;
  if (b->len + size + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + size + 1) cap = cap > SIZE_MAX / 2 ? b->len + size + 1 : cap * 2;
    uint8_t *grown = realloc(b->data, cap);
    if (!grown) return -1;
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, chunk, size);
  b->len += size;
  b->data[b->len] = '\0';
  b->oom = false;
  return 0;
}

int temporal_payload_new_json(temporal_payload **out, const json_t *value) {
  if (!out || !value) return temporal__error(TEMPORAL_EINVAL, "temporal_payload_new_json: NULL argument");
  if (json_is_null(value)) return temporal_payload_new_null(out);
  dump_buffer b = {0};
  if (json_dump_callback(value, dump_append, &b, JSON_COMPACT | JSON_ENCODE_ANY) != 0) {
    free(b.data);
    if (b.oom) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
    /* jansson refuses values it cannot write, such as an array that contains itself. */
    return temporal__error(TEMPORAL_EINVAL, "the JSON value cannot be encoded (does it contain itself?)");
  }
  return temporal__payload_adopt_json(out, b.data ? b.data : copy_bytes(NULL, 0), b.len);
}

int temporal__payload_adopt_json(temporal_payload **out, uint8_t *data, size_t len) {
  temporal_payload *p = data ? payload_alloc(1) : NULL;
  if (!p || payload_add_meta(p, "encoding", TEMPORAL_ENCODING_JSON, strlen(TEMPORAL_ENCODING_JSON)) != 0) {
    temporal_payload_free(p);
    free(data);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  p->data = data;
  p->len = len;
  *out = p;
  return 0;
}

int temporal_payload_new_string(temporal_payload **out, const char *utf8) {
  if (!out || !utf8) return temporal__error(TEMPORAL_EINVAL, "temporal_payload_new_string: NULL argument");
  /* Written straight to its JSON text: no json_t is built for a string (json_fast.c). */
  uint8_t *text = NULL;
  size_t len = 0;
  int rc = temporal__json_string_fast_dump(&text, &len, utf8, strlen(utf8));
  if (rc == TEMPORAL_EINVAL)
    return temporal__error(TEMPORAL_EINVAL, "temporal_payload_new_string: the string is not valid UTF-8");
  if (rc != 0) return rc;
  return temporal__payload_adopt_json(out, text, len);
}

int temporal_payload_copy(temporal_payload **out, const temporal_payload *payload) {
  if (!out || !payload) return temporal__error(TEMPORAL_EINVAL, "temporal_payload_copy: NULL argument");
  temporal_payload *p = payload_alloc(payload->meta_count);
  if (!p) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  for (size_t i = 0; i < payload->meta_count; i++) {
    const temporal__meta *m = &payload->meta[i];
    if (payload_add_meta(p, m->key, m->value, m->len) != 0) {
      temporal_payload_free(p);
      return temporal__error(TEMPORAL_ENOMEM, "out of memory");
    }
  }
  if (!(p->data = copy_bytes(payload->data, payload->len))) {
    temporal_payload_free(p);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  p->len = payload->len;
  *out = p;
  return 0;
}

/* The last entry of `key` (a proto map keeps the last of duplicate keys). */
static const temporal__meta *find_meta(const temporal_payload *payload, const char *key) {
  if (!payload || !key) return NULL;
  for (size_t i = payload->meta_count; i-- > 0;)
    if (strcmp(payload->meta[i].key, key) == 0) return &payload->meta[i];
  return NULL;
}

const char *temporal_payload_encoding(const temporal_payload *payload) {
  const temporal__meta *m = find_meta(payload, "encoding");
  return m ? (const char *)m->value : "";
}

const uint8_t *temporal_payload_data(const temporal_payload *payload, size_t *len_out) {
  if (!payload) {
    if (len_out) *len_out = 0;
    return NULL;
  }
  if (len_out) *len_out = payload->len;
  return payload->data;
}

const uint8_t *temporal_payload_metadata(const temporal_payload *payload, const char *key, size_t *len_out) {
  const temporal__meta *m = find_meta(payload, key);
  if (len_out) *len_out = m ? m->len : 0;
  return m ? m->value : NULL;
}
