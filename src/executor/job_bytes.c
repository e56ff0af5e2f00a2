/* Job bytes: what a job of the "other" executor kind carries to wherever the activity runs.
 *
 * Version 1, integers little-endian, nothing after the last field:
 *   "TCJ" 0x01  slot:u32 generation:u32 sync_fn:u64 data:u64 flags:u32
 *   name_len:u32 name  namespace_len:u32 namespace  task_queue_len:u32 task_queue
 *   task_len:u64 task   (a packed PollActivityTaskQueueResponse)
 * The function and data pointers are plain addresses: the running side is this program or a fork
 * of it, where they hold. The decoder trusts nothing: the bytes may come from a broken peer. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "executor/job.h"

#define JOB_MAGIC "TCJ\x01"
#define JOB_MAGIC_LEN 4

static uint8_t *put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) *p++ = (uint8_t)(v >> (8 * i));
  return p;
}

static uint8_t *put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) *p++ = (uint8_t)(v >> (8 * i));
  return p;
}

static uint8_t *put_blob32(uint8_t *p, const void *data, size_t len) {
  p = put_u32(p, (uint32_t)len);
  if (len) memcpy(p, data, len);
  return p + len;
}

int temporal__job_encode(uint8_t **out, size_t *len_out, const temporal__job_header *h) {
  *out = NULL;
  *len_out = 0;
  if (h->name_len > UINT32_MAX || h->namespace_len > UINT32_MAX || h->task_queue_len > UINT32_MAX)
    return temporal__error(TEMPORAL_ETOOBIG, "job: a name is too long");
  size_t fixed = JOB_MAGIC_LEN + 4 + 4 + 8 + 8 + 4 + 4 + 4 + 4 + 8;
  size_t strings = h->name_len + h->namespace_len + h->task_queue_len;
  if (h->task_len > SIZE_MAX - fixed - strings)
    return temporal__error(TEMPORAL_ETOOBIG, "job: task too large");
  size_t len = fixed + strings + h->task_len;
  uint8_t *buf = malloc(len);
  if (!buf) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  uint8_t *p = buf;
  memcpy(p, JOB_MAGIC, JOB_MAGIC_LEN);
  p += JOB_MAGIC_LEN;
  p = put_u32(p, h->slot);
  p = put_u32(p, h->generation);
  p = put_u64(p, (uint64_t)h->sync_fn);
  p = put_u64(p, (uint64_t)h->data);
  p = put_u32(p, h->flags);
  p = put_blob32(p, h->name, h->name_len);
  p = put_blob32(p, h->namespace_, h->namespace_len);
  p = put_blob32(p, h->task_queue, h->task_queue_len);
  p = put_u64(p, (uint64_t)h->task_len);
  if (h->task_len) memcpy(p, h->task, h->task_len);
  *out = buf;
  *len_out = len;
  return 0;
}

typedef struct reader {
  const uint8_t *p;
  size_t left;
  bool bad;
} reader;

static uint64_t get_uint(reader *r, size_t width) {
  if (r->bad || r->left < width) {
    r->bad = true;
    return 0;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < width; i++) v |= (uint64_t)r->p[i] << (8 * i);
  r->p += width;
  r->left -= width;
  return v;
}

static const uint8_t *get_bytes(reader *r, uint64_t len) {
  if (r->bad || len > r->left) {
    r->bad = true;
    return NULL;
  }
  const uint8_t *at = r->p;
  r->p += len;
  r->left -= (size_t)len;
  return at;
}

/* A string field: must not hold a NUL, so a NUL-terminated copy says the same thing. */
static const char *get_string(reader *r, size_t *len_out) {
  uint64_t len = get_uint(r, 4);
  const uint8_t *s = get_bytes(r, len);
  if (s && len && memchr(s, 0, (size_t)len)) r->bad = true;
  *len_out = (size_t)len;
  return r->bad ? NULL : (const char *)s;
}

int temporal__job_decode(temporal__job_header *out, const uint8_t *bytes, size_t len) {
  memset(out, 0, sizeof *out);
  if (!bytes || len < JOB_MAGIC_LEN || memcmp(bytes, JOB_MAGIC, JOB_MAGIC_LEN) != 0)
    return temporal__error(TEMPORAL_EDECODE, "not a temporal-c job (bad magic or version)");
  reader r = {.p = bytes + JOB_MAGIC_LEN, .left = len - JOB_MAGIC_LEN};
  out->slot = (uint32_t)get_uint(&r, 4);
  out->generation = (uint32_t)get_uint(&r, 4);
  uint64_t fn = get_uint(&r, 8), data = get_uint(&r, 8);
  out->flags = (uint32_t)get_uint(&r, 4);
  out->name = get_string(&r, &out->name_len);
  out->namespace_ = get_string(&r, &out->namespace_len);
  out->task_queue = get_string(&r, &out->task_queue_len);
  uint64_t task_len = get_uint(&r, 8);
  out->task = get_bytes(&r, task_len);
  out->task_len = (size_t)task_len;
  if (r.bad) return temporal__error(TEMPORAL_EDECODE, "job bytes are truncated or malformed");
  if (r.left != 0)
    return temporal__error(TEMPORAL_EDECODE, "job bytes have %zu bytes of trailing garbage", r.left);
  if (fn == 0 || fn > UINTPTR_MAX || data > UINTPTR_MAX)
    return temporal__error(TEMPORAL_EDECODE, "job names no activity function");
  out->sync_fn = (uintptr_t)fn;
  out->data = (uintptr_t)data;
  return 0;
}
