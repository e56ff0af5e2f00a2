/* Payloads <-> protobuf-c messages, and payload lists <-> bytes (a packed Payloads proto). */
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"

int temporal__payload_from_proto(temporal_payload **out, const Temporal__Api__Common__V1__Payload *proto) {
  if (!out || !proto) return temporal__error(TEMPORAL_EINVAL, "temporal__payload_from_proto: NULL argument");
  temporal_payload *p = calloc(1, sizeof *p);
  if (!p) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  if (proto->n_metadata && !(p->meta = calloc(proto->n_metadata, sizeof *p->meta))) goto oom;
  for (size_t i = 0; i < proto->n_metadata; i++) {
    const Temporal__Api__Common__V1__Payload__MetadataEntry *e = proto->metadata[i];
    if (!e) continue;
    temporal__meta *m = &p->meta[p->meta_count];
    size_t len = e->value.len;
    m->key = strdup(e->key ? e->key : "");
    m->value = malloc(len + 1); /* NUL-terminated, see payload.c */
    if (!m->key || !m->value) {
      free(m->key);
      free(m->value);
      m->key = NULL;
      m->value = NULL;
      goto oom;
    }
    if (len) memcpy(m->value, e->value.data, len);
    m->value[len] = '\0';
    m->len = len;
    p->meta_count++;
  }
  p->len = proto->data.len;
  if (!(p->data = malloc(p->len + 1))) goto oom;
  if (p->len) memcpy(p->data, proto->data.data, p->len);
  p->data[p->len] = '\0';
  *out = p;
  return 0;
oom:
  temporal_payload_free(p);
  return temporal__error(TEMPORAL_ENOMEM, "out of memory");
}

/* Fills an initialised proto from a payload; on failure the proto holds what was set so far, all
 * of it releasable with protobuf_c_message_free_unpacked. */
static int fill_proto(Temporal__Api__Common__V1__Payload *proto, const temporal_payload *payload) {
  if (payload->meta_count) {
    proto->metadata = calloc(payload->meta_count, sizeof *proto->metadata);
    if (!proto->metadata) return TEMPORAL_ENOMEM;
  }
  for (size_t i = 0; i < payload->meta_count; i++) {
    const temporal__meta *m = &payload->meta[i];
    Temporal__Api__Common__V1__Payload__MetadataEntry *e = malloc(sizeof *e);
    if (!e) return TEMPORAL_ENOMEM;
    temporal__api__common__v1__payload__metadata_entry__init(e);
    proto->metadata[proto->n_metadata++] = e;
    if (!(e->key = strdup(m->key))) {
      e->key = (char *)protobuf_c_empty_string;
      return TEMPORAL_ENOMEM;
    }
    if (m->len) {
      if (!(e->value.data = malloc(m->len))) return TEMPORAL_ENOMEM;
      memcpy(e->value.data, m->value, m->len);
      e->value.len = m->len;
    }
  }
  if (payload->len) {
    if (!(proto->data.data = malloc(payload->len))) return TEMPORAL_ENOMEM;
    memcpy(proto->data.data, payload->data, payload->len);
    proto->data.len = payload->len;
  }
  return 0;
}

int temporal__payload_to_proto(Temporal__Api__Common__V1__Payload **out, const temporal_payload *payload) {
  if (!out || !payload) return temporal__error(TEMPORAL_EINVAL, "temporal__payload_to_proto: NULL argument");
  Temporal__Api__Common__V1__Payload *proto = malloc(sizeof *proto);
  if (!proto) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  temporal__api__common__v1__payload__init(proto);
  if (fill_proto(proto, payload) != 0) {
    protobuf_c_message_free_unpacked(&proto->base, NULL);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  *out = proto;
  return 0;
}

int temporal__payloads_to_proto(Temporal__Api__Common__V1__Payloads **out,
                                const temporal_payload *const *payloads, size_t count) {
  if (!out || (!payloads && count))
    return temporal__error(TEMPORAL_EINVAL, "temporal__payloads_to_proto: NULL argument");
  for (size_t i = 0; i < count; i++)
    if (!payloads[i])
      return temporal__error(TEMPORAL_EINVAL, "temporal__payloads_to_proto: payload %zu is NULL", i);
  Temporal__Api__Common__V1__Payloads *proto = malloc(sizeof *proto);
  if (!proto) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  temporal__api__common__v1__payloads__init(proto);
  if (count && !(proto->payloads = calloc(count, sizeof *proto->payloads))) goto oom;
  for (size_t i = 0; i < count; i++) {
    /* payload_to_proto only fails for ENOMEM here (arguments were checked). */
    if (temporal__payload_to_proto(&proto->payloads[i], payloads[i]) != 0) goto oom;
    proto->n_payloads++;
  }
  *out = proto;
  return 0;
oom:
  protobuf_c_message_free_unpacked(&proto->base, NULL);
  return temporal__error(TEMPORAL_ENOMEM, "out of memory");
}

int temporal__payloads_view_init(temporal__payloads_view *view, const temporal_payload *const *payloads,
                                 size_t count) {
  static const char fn[] = "temporal__payloads_view_init";
  memset(view, 0, sizeof *view);
  temporal__api__common__v1__payloads__init(&view->payloads);
  if (!payloads && count) return temporal__error(TEMPORAL_EINVAL, "%s: NULL argument", fn);
  size_t meta_count = 0;
  for (size_t i = 0; i < count; i++) {
    if (!payloads[i]) return temporal__error(TEMPORAL_EINVAL, "%s: payload %zu is NULL", fn, i);
    meta_count += payloads[i]->meta_count;
  }
  if (!count) return 0;
  view->items = calloc(count, sizeof *view->items);
  view->payloads.payloads = calloc(count, sizeof *view->payloads.payloads);
  if (meta_count) {
    view->entries = calloc(meta_count, sizeof *view->entries);
    view->entry_ptrs = calloc(meta_count, sizeof *view->entry_ptrs);
  }
  if (!view->items || !view->payloads.payloads || (meta_count && (!view->entries || !view->entry_ptrs))) {
    temporal__payloads_view_release(view);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  /* The payloads' own pointers, not copies: protobuf-c only reads a message while it packs it. */
  size_t e = 0;
  for (size_t i = 0; i < count; i++) {
    const temporal_payload *src = payloads[i];
    Temporal__Api__Common__V1__Payload *p = &view->items[i];
    temporal__api__common__v1__payload__init(p);
    p->data = (ProtobufCBinaryData){.len = src->len, .data = src->data};
    p->n_metadata = src->meta_count;
    p->metadata = src->meta_count ? &view->entry_ptrs[e] : NULL;
    for (size_t m = 0; m < src->meta_count; m++, e++) {
      Temporal__Api__Common__V1__Payload__MetadataEntry *entry = &view->entries[e];
      temporal__api__common__v1__payload__metadata_entry__init(entry);
      entry->key = src->meta[m].key;
      entry->value = (ProtobufCBinaryData){.len = src->meta[m].len, .data = src->meta[m].value};
      view->entry_ptrs[e] = entry;
    }
    view->payloads.payloads[i] = p;
  }
  view->payloads.n_payloads = count;
  return 0;
}

void temporal__payloads_view_release(temporal__payloads_view *view) {
  if (!view) return;
  free(view->items);
  free(view->payloads.payloads);
  free(view->entries);
  free(view->entry_ptrs);
  memset(view, 0, sizeof *view);
  temporal__api__common__v1__payloads__init(&view->payloads);
}

/* Protobuf wire sizes, as the server measures a Payloads field (its Size()): computed from the
 * payloads themselves, so a check costs no copy. */
static size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

/* A length-delimited field of `len` bytes with a one-byte tag. */
static size_t field_size(size_t len) {
  return 1 + varint_size(len) + len;
}

size_t temporal__payloads_encoded_size(const temporal_payload *const *payloads, size_t count) {
  size_t total = 0;
  for (size_t i = 0; i < count; i++) {
    const temporal_payload *p = payloads[i];
    size_t payload = 0;
    for (size_t m = 0; m < p->meta_count; m++) {
      size_t entry = field_size(strlen(p->meta[m].key)) + field_size(p->meta[m].len);
      payload += field_size(entry);
    }
    if (p->len) payload += field_size(p->len);
    total += field_size(payload);
  }
  return total;
}

int temporal__payloads_serialize(uint8_t **out, size_t *len_out, const temporal_payload *const *payloads,
                                 size_t count) {
  if (!out || !len_out)
    return temporal__error(TEMPORAL_EINVAL, "temporal__payloads_serialize: NULL argument");
  Temporal__Api__Common__V1__Payloads *proto = NULL;
  int rc = temporal__payloads_to_proto(&proto, payloads, count);
  if (rc != 0) return rc;
  size_t len = protobuf_c_message_get_packed_size(&proto->base);
  uint8_t *buf = malloc(len ? len : 1); /* never NULL on success, even for no payloads */
  if (!buf) {
    protobuf_c_message_free_unpacked(&proto->base, NULL);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  protobuf_c_message_pack(&proto->base, buf);
  protobuf_c_message_free_unpacked(&proto->base, NULL);
  *out = buf;
  *len_out = len;
  return 0;
}

int temporal__payloads_deserialize(temporal_payload ***out, size_t *count_out, const uint8_t *data,
                                   size_t len) {
  static const uint8_t empty[1];
  if (!out || !count_out || (!data && len))
    return temporal__error(TEMPORAL_EINVAL, "temporal__payloads_deserialize: NULL argument");
  /* Payloads nest no deeper than Payload -> metadata entry, so unpacking untrusted bytes cannot
   * recurse without bound; protobuf-c checks every length against the buffer. */
  ProtobufCMessage *msg = protobuf_c_message_unpack(&temporal__api__common__v1__payloads__descriptor, NULL,
                                                    len, data ? data : empty);
  if (!msg)
    return temporal__error(TEMPORAL_EDECODE, "payload list: not a valid Payloads message (%zu bytes)", len);
  Temporal__Api__Common__V1__Payloads *proto = (Temporal__Api__Common__V1__Payloads *)msg;
  temporal_payload **list = NULL;
  size_t n = 0;
  int rc = 0;
  if (proto->n_payloads && !(list = calloc(proto->n_payloads, sizeof *list))) {
    rc = temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  for (; rc == 0 && n < proto->n_payloads; n++) {
    rc = temporal__payload_from_proto(&list[n], proto->payloads[n]);
    if (rc != 0) break;
  }
  protobuf_c_message_free_unpacked(msg, NULL);
  if (rc != 0) {
    temporal__payload_array_free(list, n);
    return rc;
  }
  *out = list;
  *count_out = n;
  return 0;
}
