/* Payloads: encodings, JSON round trips, proto round trips (copied and borrowed), decode errors. */
#include <jansson.h>

#include "converter/converter_internal.h"
#include "temporal/errors.h"
#include "test.h"

/* The payload's data as a C string (payload data is always NUL-terminated). */
static const char *data_str(const temporal_payload *p) {
  return (const char *)temporal_payload_data(p, NULL);
}

/* Encodes `value` (a JSON text), checks the exact bytes, decodes and compares. */
static void check_json_round_trip(const char *text, const char *expected_bytes) {
  json_error_t err;
  json_t *value = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
  if (!value) TEST_FAIL("bad test JSON %s: %s", text, err.text);
  temporal_payload *p = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_json(&p, value));
  CHECK_STR_EQ("json/plain", temporal_payload_encoding(p));
  size_t len = 0;
  temporal_payload_data(p, &len);
  if (expected_bytes) {
    CHECK_EQ_INT(strlen(expected_bytes), len);
    CHECK_STR_EQ(expected_bytes, data_str(p));
  }
  json_t *back = NULL;
  CHECK_EQ_INT(0, temporal_payload_to_json(&back, p));
  CHECK(json_equal(value, back));
  json_decref(back);
  json_decref(value);
  temporal_payload_free(p);
}

TEST(converter_json_scalars_round_trip) {
  check_json_round_trip("\"hi\"", "\"hi\"");
  check_json_round_trip("\"\"", "\"\"");
  check_json_round_trip("42", "42");
  check_json_round_trip("-7", "-7");
  check_json_round_trip("9223372036854775807", "9223372036854775807");
  check_json_round_trip("-9223372036854775808", "-9223372036854775808");
  check_json_round_trip("2.5", "2.5");
  check_json_round_trip("3.0", "3.0");
  check_json_round_trip("true", "true");
  check_json_round_trip("false", "false");
}

TEST(converter_json_compact_no_newline) {
  check_json_round_trip("{ \"a\" : 1 , \"b\" : [ true , null , \"x\" ] }\n",
                        "{\"a\":1,\"b\":[true,null,\"x\"]}");
  check_json_round_trip("[]", "[]");
  check_json_round_trip("{}", "{}");
  check_json_round_trip("[[[[1]]],{\"k\":{\"n\":{}}}]", "[[[[1]]],{\"k\":{\"n\":{}}}]");
}

TEST(converter_json_unicode_stays_utf8) {
  /* UTF-8 goes out as UTF-8 (not \u escapes); quotes and control characters are escaped. */
  check_json_round_trip("\"h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x8e\x89\"",
                        "\"h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x8e\x89\"");
  check_json_round_trip("\"a\\\"b\\\\c\\n\"", "\"a\\\"b\\\\c\\n\"");
  /* An embedded NUL survives the trip. */
  check_json_round_trip("\"a\\u0000b\"", "\"a\\u0000b\"");
}

TEST(converter_string_payload) {
  temporal_payload *p = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_string(&p, "hi"));
  CHECK_STR_EQ("json/plain", temporal_payload_encoding(p));
  CHECK_STR_EQ("\"hi\"", data_str(p));
  temporal_payload_free(p);
  CHECK_EQ_INT(0, temporal_payload_new_string(&p, ""));
  CHECK_STR_EQ("\"\"", data_str(p));
  json_t *v = NULL;
  CHECK_EQ_INT(0, temporal_payload_to_json(&v, p));
  CHECK(json_is_string(v));
  CHECK_STR_EQ("", json_string_value(v));
  json_decref(v);
  temporal_payload_free(p);
  /* Invalid UTF-8 is refused, not sent for another SDK to choke on. */
  p = NULL;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_payload_new_string(&p, "\xff\xfe"));
  CHECK(p == NULL);
  CHECK_CONTAINS(temporal_error_last(), "UTF-8");
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_payload_new_string(&p, NULL));
}

TEST(converter_large_values) {
  size_t n = 1 << 20;
  char *big = malloc(n + 1);
  for (size_t i = 0; i < n; i++) big[i] = (char)('a' + (char)(i % 26));
  big[n] = '\0';
  temporal_payload *p = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_string(&p, big));
  size_t len = 0;
  temporal_payload_data(p, &len);
  CHECK_EQ_INT(n + 2, len);
  json_t *v = NULL;
  CHECK_EQ_INT(0, temporal_payload_to_json(&v, p));
  CHECK_STR_EQ(big, json_string_value(v));
  json_decref(v);
  temporal_payload_free(p);
  free(big);

  json_t *arr = json_array();
  for (int i = 0; i < 20000; i++) json_array_append_new(arr, json_pack("{s:i,s:s}", "i", i, "s", "x"));
  CHECK_EQ_INT(0, temporal_payload_new_json(&p, arr));
  CHECK_EQ_INT(0, temporal_payload_to_json(&v, p));
  CHECK(json_equal(arr, v));
  CHECK_EQ_INT(20000, json_array_size(v));
  json_decref(v);
  json_decref(arr);
  temporal_payload_free(p);
}

TEST(converter_json_null_is_binary_null) {
  temporal_payload *p = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_json(&p, json_null()));
  CHECK_STR_EQ("binary/null", temporal_payload_encoding(p));
  size_t len = 99;
  CHECK(temporal_payload_data(p, &len) != NULL);
  CHECK_EQ_INT(0, len);
  json_t *v = NULL;
  CHECK_EQ_INT(0, temporal_payload_to_json(&v, p));
  CHECK(json_is_null(v));
  json_decref(v);
  temporal_payload_free(p);

  CHECK_EQ_INT(0, temporal_payload_new_null(&p));
  CHECK_STR_EQ("binary/null", temporal_payload_encoding(p));
  CHECK_EQ_INT(0, temporal_payload_to_json(&v, p));
  CHECK(json_is_null(v));
  temporal_payload_free(p);
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_payload_new_json(&p, NULL));
}

TEST(converter_bytes_payload) {
  const uint8_t raw[] = {0, 1, 2, 0xff, 0, 'x'};
  temporal_payload *p = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_bytes(&p, raw, sizeof raw));
  CHECK_STR_EQ("binary/plain", temporal_payload_encoding(p));
  size_t len = 0;
  const uint8_t *d = temporal_payload_data(p, &len);
  CHECK_EQ_INT(sizeof raw, len);
  CHECK(memcmp(d, raw, sizeof raw) == 0);
  /* Bytes are not JSON. */
  json_t *v = NULL;
  CHECK_EQ_INT(TEMPORAL_EDECODE, temporal_payload_to_json(&v, p));
  CHECK(v == NULL);
  CHECK_CONTAINS(temporal_error_last(), "binary/plain");
  temporal_payload_free(p);

  CHECK_EQ_INT(0, temporal_payload_new_bytes(&p, NULL, 0));
  d = temporal_payload_data(p, &len);
  CHECK_EQ_INT(0, len);
  CHECK(d != NULL);
  temporal_payload_free(p);
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_payload_new_bytes(&p, NULL, 3));
}

TEST(converter_copy_is_deep) {
  temporal_payload *p = NULL, *c = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_string(&p, "copy me"));
  CHECK_EQ_INT(0, temporal_payload_copy(&c, p));
  CHECK(c != p);
  CHECK(temporal_payload_data(c, NULL) != temporal_payload_data(p, NULL));
  temporal_payload_free(p);
  CHECK_STR_EQ("json/plain", temporal_payload_encoding(c));
  CHECK_STR_EQ("\"copy me\"", data_str(c));
  temporal_payload_free(c);
  temporal_payload_free(NULL);
}

/* A Payload proto as another SDK would send it. */
static Temporal__Api__Common__V1__Payload *make_proto(const char *encoding, const char *data) {
  Temporal__Api__Common__V1__Payload *proto = malloc(sizeof *proto);
  temporal__api__common__v1__payload__init(proto);
  if (encoding) {
    proto->metadata = malloc(sizeof *proto->metadata);
    Temporal__Api__Common__V1__Payload__MetadataEntry *e = malloc(sizeof *e);
    temporal__api__common__v1__payload__metadata_entry__init(e);
    e->key = strdup("encoding");
    e->value.len = strlen(encoding);
    e->value.data = (uint8_t *)strdup(encoding);
    proto->metadata[0] = e;
    proto->n_metadata = 1;
  }
  proto->data.len = strlen(data);
  proto->data.data = proto->data.len ? (uint8_t *)strdup(data) : NULL;
  return proto;
}

/* Decodes data of json/plain; returns the code. */
static int decode_text(json_t **out, const char *encoding, const char *text) {
  Temporal__Api__Common__V1__Payload *proto = make_proto(encoding, text);
  temporal_payload *p = NULL;
  CHECK_EQ_INT(0, temporal__payload_from_proto(&p, proto));
  protobuf_c_message_free_unpacked(&proto->base, NULL);
  int rc = temporal_payload_to_json(out, p);
  temporal_payload_free(p);
  return rc;
}

TEST(converter_decodes_any_valid_json) {
  json_t *v = NULL;
  CHECK_EQ_INT(0, decode_text(&v, "json/plain", " 42 "));
  CHECK_EQ_INT(42, json_integer_value(v));
  json_decref(v);
  CHECK_EQ_INT(0, decode_text(&v, "json/plain", "null"));
  CHECK(json_is_null(v));
  json_decref(v);
  CHECK_EQ_INT(0, decode_text(&v, "json/plain", "\"\\u00e9\\ud83c\\udf89\""));
  CHECK_STR_EQ("\xc3\xa9\xf0\x9f\x8e\x89", json_string_value(v));
  json_decref(v);
  CHECK_EQ_INT(0, decode_text(&v, "json/plain", "1e3"));
  CHECK(json_is_real(v) && json_real_value(v) == 1000.0);
  json_decref(v);
  /* Python's pretty-printed output (newlines, trailing newline) is JSON too. */
  CHECK_EQ_INT(0, decode_text(&v, "json/plain", "{\n  \"a\": [1,\n 2]\n}\n"));
  CHECK_EQ_INT(2, json_array_size(json_object_get(v, "a")));
  json_decref(v);
}

TEST(converter_refuses_numbers_beyond_int64_and_double) {
  /* Other SDKs send integers of any size: no json_t holds them exactly, so they are out of range
   * rather than silently rounded; in-range ones stay exact. */
  json_t *v = NULL;
  const char *too_big[] = {"123456789012345678901234567890",
                           "18446744073709551621",
                           "9223372036854775808",
                           "-9223372036854775809",
                           "[1, 2, 99999999999999999999999]",
                           "{\"a\": 1e400}"};
  for (size_t i = 0; i < sizeof too_big / sizeof too_big[0]; i++) {
    v = NULL;
    CHECK_EQ_INT(TEMPORAL_ERANGE, decode_text(&v, "json/plain", too_big[i]));
    CHECK(v == NULL);
    CHECK_CONTAINS(temporal_error_last(), "does not fit a 64-bit integer or a double");
  }
  CHECK_EQ_INT(
      0, decode_text(&v, "json/plain",
                     "[9223372036854775807, -9223372036854775808, \"99999999999999999999999\", 1.5e3]"));
  CHECK(json_integer_value(json_array_get(v, 0)) == INT64_MAX);
  CHECK(json_integer_value(json_array_get(v, 1)) == INT64_MIN);
  /* Digits inside a string are only a string. */
  CHECK_STR_EQ("99999999999999999999999", json_string_value(json_array_get(v, 2)));
  CHECK(json_real_value(json_array_get(v, 3)) == 1500.0);
  json_decref(v);
  /* Invalid JSON stays a decode error, whatever numbers it holds. */
  CHECK_EQ_INT(TEMPORAL_EDECODE, decode_text(&v, "json/plain", "[99999999999999999999999,]"));
}

TEST(converter_invalid_json_is_decode_error) {
  json_t *v = NULL;
  const char *bad[] = {"", "{", "[1,]", "'single'", "tru", "{\"a\" 1}", "\"unterminated", "1 2", "\xff"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    v = NULL;
    CHECK_EQ_INT(TEMPORAL_EDECODE, decode_text(&v, "json/plain", bad[i]));
    CHECK(v == NULL);
    CHECK_CONTAINS(temporal_error_last(), "invalid JSON");
  }
  CHECK_EQ_INT(TEMPORAL_EDECODE, decode_text(&v, "json/plain", "{\"a\" 1}"));
  CHECK_CONTAINS(temporal_error_last(), "line 1");
}

TEST(converter_unknown_encoding_is_decode_error) {
  json_t *v = NULL;
  CHECK_EQ_INT(TEMPORAL_EDECODE, decode_text(&v, "foo/bar", "{}"));
  CHECK_STR_EQ("unknown encoding \"foo/bar\"", temporal_error_last());
  CHECK_EQ_INT(TEMPORAL_EDECODE, decode_text(&v, "json/protobuf", "{}"));
  CHECK_CONTAINS(temporal_error_last(), "json/protobuf");
  CHECK_EQ_INT(TEMPORAL_EDECODE, decode_text(&v, NULL, "{}"));
  CHECK_CONTAINS(temporal_error_last(), "no \"encoding\"");
  /* Near misses are not matches. */
  CHECK_EQ_INT(TEMPORAL_EDECODE, decode_text(&v, "json/plainx", "{}"));
  CHECK_EQ_INT(TEMPORAL_EDECODE, decode_text(&v, "JSON/PLAIN", "{}"));
  CHECK(v == NULL);
}

TEST(converter_proto_round_trip) {
  Temporal__Api__Common__V1__Payload *proto = make_proto("json/plain", "{\"x\":[1,2]}");
  /* A second metadata entry (as json/protobuf's messageType) travels along. */
  proto->metadata = realloc(proto->metadata, 2 * sizeof *proto->metadata);
  Temporal__Api__Common__V1__Payload__MetadataEntry *e = malloc(sizeof *e);
  temporal__api__common__v1__payload__metadata_entry__init(e);
  e->key = strdup("messageType");
  e->value.len = 3;
  e->value.data = malloc(3);
  memcpy(e->value.data, "a\0b", 3);
  proto->metadata[1] = e;
  proto->n_metadata = 2;

  temporal_payload *p = NULL;
  CHECK_EQ_INT(0, temporal__payload_from_proto(&p, proto));
  protobuf_c_message_free_unpacked(&proto->base, NULL);
  CHECK_STR_EQ("json/plain", temporal_payload_encoding(p));
  size_t len = 0;
  const uint8_t *mt = temporal_payload_metadata(p, "messageType", &len);
  CHECK_EQ_INT(3, len);
  CHECK(memcmp(mt, "a\0b", 3) == 0);
  CHECK(temporal_payload_metadata(p, "missing", &len) == NULL);
  CHECK_EQ_INT(0, len);

  /* Back to a proto, through the wire, and back to a payload. */
  Temporal__Api__Common__V1__Payload *again = NULL;
  CHECK_EQ_INT(0, temporal__payload_to_proto(&again, p));
  CHECK_EQ_INT(2, again->n_metadata);
  size_t packed_len = protobuf_c_message_get_packed_size(&again->base);
  uint8_t *packed = malloc(packed_len);
  protobuf_c_message_pack(&again->base, packed);
  protobuf_c_message_free_unpacked(&again->base, NULL);
  Temporal__Api__Common__V1__Payload *unpacked =
      temporal__api__common__v1__payload__unpack(NULL, packed_len, packed);
  free(packed);
  CHECK(unpacked != NULL);
  temporal_payload *q = NULL;
  CHECK_EQ_INT(0, temporal__payload_from_proto(&q, unpacked));
  temporal__api__common__v1__payload__free_unpacked(unpacked, NULL);
  CHECK_STR_EQ("json/plain", temporal_payload_encoding(q));
  CHECK_STR_EQ("{\"x\":[1,2]}", data_str(q));
  mt = temporal_payload_metadata(q, "messageType", &len);
  CHECK(mt && len == 3 && memcmp(mt, "a\0b", 3) == 0);
  json_t *v = NULL;
  CHECK_EQ_INT(0, temporal_payload_to_json(&v, q));
  CHECK_EQ_INT(2, json_integer_value(json_array_get(json_object_get(v, "x"), 1)));
  json_decref(v);
  temporal_payload_free(p);
  temporal_payload_free(q);
}

TEST(converter_proto_empty_data) {
  temporal_payload *p = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_null(&p));
  Temporal__Api__Common__V1__Payload *proto = NULL;
  CHECK_EQ_INT(0, temporal__payload_to_proto(&proto, p));
  CHECK_EQ_INT(0, proto->data.len);
  CHECK_EQ_INT(1, proto->n_metadata);
  CHECK_STR_EQ("encoding", proto->metadata[0]->key);
  CHECK_EQ_INT(11, proto->metadata[0]->value.len);
  CHECK(memcmp(proto->metadata[0]->value.data, "binary/null", 11) == 0);
  protobuf_c_message_free_unpacked(&proto->base, NULL);
  temporal_payload_free(p);
}

TEST(converter_payloads_to_proto) {
  temporal_payload *a = NULL, *b = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_string(&a, "a"));
  CHECK_EQ_INT(0, temporal_payload_new_bytes(&b, "bb", 2));
  const temporal_payload *list[] = {a, b};
  Temporal__Api__Common__V1__Payloads *proto = NULL;
  CHECK_EQ_INT(0, temporal__payloads_to_proto(&proto, list, 2));
  CHECK_EQ_INT(2, proto->n_payloads);
  CHECK_EQ_INT(3, proto->payloads[0]->data.len);
  CHECK(memcmp(proto->payloads[1]->data.data, "bb", 2) == 0);
  protobuf_c_message_free_unpacked(&proto->base, NULL);
  CHECK_EQ_INT(0, temporal__payloads_to_proto(&proto, NULL, 0));
  CHECK_EQ_INT(0, proto->n_payloads);
  protobuf_c_message_free_unpacked(&proto->base, NULL);
  const temporal_payload *with_null[] = {a, NULL};
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal__payloads_to_proto(&proto, with_null, 2));
  temporal_payload_free(a);
  temporal_payload_free(b);
}

TEST(converter_payloads_serialize_round_trip) {
  temporal_payload *ps[3] = {NULL, NULL, NULL};
  CHECK_EQ_INT(0, temporal_payload_new_string(&ps[0], "h\xc3\xa9"));
  CHECK_EQ_INT(0, temporal_payload_new_null(&ps[1]));
  CHECK_EQ_INT(0, temporal_payload_new_bytes(&ps[2], "\0\1\2", 3));
  uint8_t *buf = NULL;
  size_t len = 0;
  CHECK_EQ_INT(0, temporal__payloads_serialize(&buf, &len, (const temporal_payload *const *)ps, 3));
  CHECK(len > 0);
  temporal_payload **back = NULL;
  size_t count = 0;
  CHECK_EQ_INT(0, temporal__payloads_deserialize(&back, &count, buf, len));
  CHECK_EQ_INT(3, count);
  for (int i = 0; i < 3; i++) {
    size_t l1, l2;
    const uint8_t *d1 = temporal_payload_data(ps[i], &l1), *d2 = temporal_payload_data(back[i], &l2);
    CHECK_EQ_INT(l1, l2);
    CHECK(memcmp(d1, d2, l1) == 0);
    CHECK_STR_EQ(temporal_payload_encoding(ps[i]), temporal_payload_encoding(back[i]));
  }
  temporal__payload_array_free(back, count);
  free(buf);

  /* The empty list. */
  CHECK_EQ_INT(0, temporal__payloads_serialize(&buf, &len, NULL, 0));
  CHECK(buf != NULL);
  CHECK_EQ_INT(0, len);
  CHECK_EQ_INT(0, temporal__payloads_deserialize(&back, &count, buf, len));
  CHECK_EQ_INT(0, count);
  temporal__payload_array_free(back, count);
  free(buf);
  for (int i = 0; i < 3; i++) temporal_payload_free(ps[i]);
}

TEST(converter_payloads_deserialize_garbage) {
  temporal_payload *ps[2] = {NULL, NULL};
  CHECK_EQ_INT(0, temporal_payload_new_string(&ps[0], "some text to mangle"));
  CHECK_EQ_INT(0, temporal_payload_new_bytes(&ps[1], "0123456789", 10));
  uint8_t *buf = NULL;
  size_t len = 0;
  CHECK_EQ_INT(0, temporal__payloads_serialize(&buf, &len, (const temporal_payload *const *)ps, 2));
  /* Every truncation either fails cleanly or (at a field boundary) decodes to fewer payloads. */
  for (size_t cut = 0; cut < len; cut++) {
    uint8_t *copy = malloc(cut ? cut : 1);
    memcpy(copy, buf, cut);
    temporal_payload **back = NULL;
    size_t count = 0;
    int rc = temporal__payloads_deserialize(&back, &count, copy, cut);
    CHECK(rc == 0 || rc == TEMPORAL_EDECODE);
    if (rc == 0) {
      CHECK(count < 2);
      temporal__payload_array_free(back, count);
    }
    free(copy);
  }
  /* Random mutations: never a crash, never anything but 0 or EDECODE. */
  srand(1234);
  for (int round = 0; round < 3000; round++) {
    uint8_t *copy = malloc(len);
    memcpy(copy, buf, len);
    int flips = 1 + rand() % 4;
    for (int f = 0; f < flips; f++) copy[rand() % (int)len] = (uint8_t)rand();
    temporal_payload **back = NULL;
    size_t count = 0;
    int rc = temporal__payloads_deserialize(&back, &count, copy, len);
    CHECK(rc == 0 || rc == TEMPORAL_EDECODE);
    if (rc == 0) temporal__payload_array_free(back, count);
    free(copy);
  }
  const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  temporal_payload **back = NULL;
  size_t count = 0;
  CHECK_EQ_INT(TEMPORAL_EDECODE, temporal__payloads_deserialize(&back, &count, junk, sizeof junk));
  free(buf);
  temporal_payload_free(ps[0]);
  temporal_payload_free(ps[1]);
}

TEST(converter_out_of_memory_is_reported) {
  static const char small[8];
  temporal_payload *p = NULL;
  CHECK_EQ_INT(TEMPORAL_ENOMEM, temporal_payload_new_bytes(&p, small, SIZE_MAX));
  CHECK(p == NULL);
  CHECK_STR_EQ("out of memory", temporal_error_last());
  /* 1 PiB cannot be allocated: malloc fails and the constructor says so instead of crashing.
   * ASan aborts on such a request unless told to return NULL, so it is skipped there by default. */
#ifdef __SANITIZE_ADDRESS__
  const char *asan = getenv("ASAN_OPTIONS");
  if (!asan || !strstr(asan, "allocator_may_return_null=1")) return;
#endif
  CHECK_EQ_INT(TEMPORAL_ENOMEM, temporal_payload_new_bytes(&p, small, (size_t)1 << 50));
  CHECK(p == NULL);
  temporal_result *r = temporal_result_bytes(small, (size_t)1 << 50);
  CHECK(r->is_static);
  CHECK_STR_EQ("out of memory", temporal_application_error_message(r->error));
}

TEST(converter_self_containing_json_is_refused) {
  json_t *a = json_array(), *b = json_array();
  json_array_append(a, b);
  json_array_append(b, a);
  temporal_payload *p = NULL;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_payload_new_json(&p, a));
  CHECK(p == NULL);
  CHECK_CONTAINS(temporal_error_last(), "cannot be encoded");
  json_incref(a);
  temporal_result *r = temporal_result_json(a); /* takes one reference of a */
  CHECK_EQ_INT(TEMPORAL__RESULT_ERROR, r->kind);
  CHECK_CONTAINS(temporal_application_error_message(r->error), "could not encode the result");
  temporal_result_free(r);
  json_array_clear(b); /* break the cycle so both are freed */
  json_decref(a);
  json_decref(b);
}

/* Three payloads that differ in metadata and data: JSON, bytes with no data at all, and null. */
static void make_three_payloads(temporal_payload *p[3]) {
  CHECK_EQ_INT(0, temporal_payload_new_string(&p[0], "héllo"));
  CHECK_EQ_INT(0, temporal_payload_new_bytes(&p[1], "", 0));
  CHECK_EQ_INT(0, temporal_payload_new_null(&p[2]));
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *len) {
  *len = protobuf_c_message_get_packed_size(m);
  uint8_t *buf = malloc(*len ? *len : 1);
  CHECK(buf != NULL);
  protobuf_c_message_pack(m, buf);
  return buf;
}

TEST(converter_payloads_view_packs_like_a_copy) {
  temporal_payload *p[3];
  make_three_payloads(p);
  const temporal_payload *const *list = (const temporal_payload *const *)p;
  for (size_t count = 0; count <= 3; count++) {
    Temporal__Api__Common__V1__Payloads *copy = NULL;
    CHECK_EQ_INT(0, temporal__payloads_to_proto(&copy, list, count));
    temporal__payloads_view view;
    CHECK_EQ_INT(0, temporal__payloads_view_init(&view, list, count));
    CHECK_EQ_INT(count, view.payloads.n_payloads);
    size_t copy_len = 0, view_len = 0;
    uint8_t *a = pack(&copy->base, &copy_len), *b = pack(&view.payloads.base, &view_len);
    CHECK_EQ_INT(copy_len, view_len);
    CHECK(memcmp(a, b, copy_len) == 0);
    /* What the blob-size checks measure is what goes on the wire. */
    CHECK_EQ_INT(view_len, temporal__payloads_encoded_size(list, count));
    free(a);
    free(b);
    protobuf_c_message_free_unpacked(&copy->base, NULL);
    temporal__payloads_view_release(&view);
    temporal__payloads_view_release(&view); /* twice is harmless */
  }
  for (int i = 0; i < 3; i++) temporal_payload_free(p[i]);
}

TEST(converter_payloads_view_borrows) {
  temporal_payload *p = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_bytes(&p, "0123456789", 10));
  const temporal_payload *list[1] = {p};
  temporal__payloads_view view;
  CHECK_EQ_INT(0, temporal__payloads_view_init(&view, list, 1));
  size_t len = 0;
  CHECK(view.payloads.payloads[0]->data.data == temporal_payload_data(p, &len));
  CHECK(view.payloads.payloads[0]->metadata[0]->value.data == temporal_payload_metadata(p, "encoding", NULL));
  temporal__payloads_view_release(&view);
  temporal_payload_free(p);
}

TEST(converter_payloads_view_refuses_null) {
  temporal__payloads_view view;
  const temporal_payload *list[1] = {NULL};
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal__payloads_view_init(&view, list, 1));
  CHECK_CONTAINS(temporal_error_last(), "payload 0 is NULL");
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal__payloads_view_init(&view, NULL, 2));
  CHECK_EQ_INT(0, temporal__payloads_view_init(&view, NULL, 0));
  CHECK_EQ_INT(0, view.payloads.n_payloads);
  temporal__payloads_view_release(&view);
}
