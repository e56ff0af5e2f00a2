/* Positional arguments: decoding once, every typed getter on right and wrong types and indexes. */
#include <jansson.h>

#include "converter/converter_internal.h"
#include "temporal/errors.h"
#include "test.h"

/* Appends a payload proto of `encoding` holding `len` bytes of `data`. */
static void add_payload(Temporal__Api__Common__V1__Payloads *list, const char *encoding, const void *data,
                        size_t len) {
  Temporal__Api__Common__V1__Payload *p = malloc(sizeof *p);
  temporal__api__common__v1__payload__init(p);
  p->metadata = malloc(sizeof *p->metadata);
  p->metadata[0] = malloc(sizeof *p->metadata[0]);
  temporal__api__common__v1__payload__metadata_entry__init(p->metadata[0]);
  p->metadata[0]->key = strdup("encoding");
  p->metadata[0]->value.len = strlen(encoding);
  p->metadata[0]->value.data = (uint8_t *)strdup(encoding);
  p->n_metadata = 1;
  if (len) {
    p->data.data = malloc(len);
    memcpy(p->data.data, data, len);
    p->data.len = len;
  }
  list->payloads = realloc(list->payloads, (list->n_payloads + 1) * sizeof *list->payloads);
  list->payloads[list->n_payloads++] = p;
}

static void add_json(Temporal__Api__Common__V1__Payloads *list, const char *text) {
  add_payload(list, "json/plain", text, strlen(text));
}

static Temporal__Api__Common__V1__Payloads *new_list(void) {
  Temporal__Api__Common__V1__Payloads *list = malloc(sizeof *list);
  temporal__api__common__v1__payloads__init(list);
  return list;
}

enum {
  A_STRING,
  A_INT,
  A_REAL,
  A_WHOLE_REAL,
  A_TRUE,
  A_BYTES,
  A_NULL,
  A_OBJECT,
  A_JSON_NULL,
  A_FALSE,
  A_COUNT
};

/* One argument of each kind, as a workflow in another SDK would send them. */
static temporal_args *sample_args(void) {
  Temporal__Api__Common__V1__Payloads *list = new_list();
  add_json(list, "\"hello\"");
  add_json(list, "42");
  add_json(list, "2.5");
  add_json(list, "3.0");
  add_json(list, "true");
  add_payload(list, "binary/plain", "\x00\x01\x02", 3);
  add_payload(list, "binary/null", "", 0);
  add_json(list, "{\"name\":\"Temporal\",\"n\":[1,2]}");
  add_json(list, "null");
  add_json(list, "false");
  temporal_args *args = NULL;
  CHECK_EQ_INT(0, temporal__args_new(&args, list));
  protobuf_c_message_free_unpacked(&list->base, NULL);
  CHECK_EQ_INT(A_COUNT, temporal_args_count(args));
  return args;
}

TEST(args_getters_on_right_types) {
  temporal_args *args = sample_args();
  const char *s = NULL;
  CHECK_EQ_INT(0, temporal_args_get_string(&s, args, A_STRING));
  CHECK_STR_EQ("hello", s);
  int64_t i = 0;
  CHECK_EQ_INT(0, temporal_args_get_int(&i, args, A_INT));
  CHECK_EQ_INT(42, i);
  CHECK_EQ_INT(0, temporal_args_get_int(&i, args, A_WHOLE_REAL));
  CHECK_EQ_INT(3, i);
  double d = 0;
  CHECK_EQ_INT(0, temporal_args_get_real(&d, args, A_REAL));
  CHECK(d == 2.5);
  CHECK_EQ_INT(0, temporal_args_get_real(&d, args, A_INT));
  CHECK(d == 42.0);
  bool b = false;
  CHECK_EQ_INT(0, temporal_args_get_bool(&b, args, A_TRUE));
  CHECK(b);
  CHECK_EQ_INT(0, temporal_args_get_bool(&b, args, A_FALSE));
  CHECK(!b);
  const uint8_t *bytes = NULL;
  size_t len = 0;
  CHECK_EQ_INT(0, temporal_args_get_bytes(&bytes, &len, args, A_BYTES));
  CHECK_EQ_INT(3, len);
  CHECK(memcmp(bytes, "\x00\x01\x02", 3) == 0);
  json_t *j = NULL;
  CHECK_EQ_INT(0, temporal_args_get_json(&j, args, A_OBJECT));
  CHECK_STR_EQ("Temporal", json_string_value(json_object_get(j, "name")));
  CHECK_EQ_INT(0, temporal_args_get_json(&j, args, A_NULL));
  CHECK(json_is_null(j));
  CHECK_EQ_INT(0, temporal_args_get_json(&j, args, A_STRING));
  CHECK_STR_EQ("hello", json_string_value(j));
  /* Borrowed values are the same object on every call (decoded once). */
  json_t *j2 = NULL;
  CHECK_EQ_INT(0, temporal_args_get_json(&j2, args, A_STRING));
  CHECK(j == j2);
  const temporal_payload *p = NULL;
  for (size_t k = 0; k < A_COUNT; k++) {
    CHECK_EQ_INT(0, temporal_args_get_payload(&p, args, k));
    CHECK(p != NULL);
  }
  CHECK_EQ_INT(0, temporal_args_get_payload(&p, args, A_BYTES));
  CHECK_STR_EQ("binary/plain", temporal_payload_encoding(p));
  temporal__args_free(args);
}

/* Calls the getter of `kind` on index `index` and returns the code; "kind" is the expected type. */
static int get(temporal_args *args, const char *kind, size_t index) {
  const char *s;
  int64_t i;
  double d;
  bool b;
  const uint8_t *bytes;
  size_t len;
  json_t *j;
  if (!strcmp(kind, "string")) return temporal_args_get_string(&s, args, index);
  if (!strcmp(kind, "integer")) return temporal_args_get_int(&i, args, index);
  if (!strcmp(kind, "number")) return temporal_args_get_real(&d, args, index);
  if (!strcmp(kind, "boolean")) return temporal_args_get_bool(&b, args, index);
  if (!strcmp(kind, "bytes")) return temporal_args_get_bytes(&bytes, &len, args, index);
  if (!strcmp(kind, "JSON")) return temporal_args_get_json(&j, args, index);
  TEST_FAIL("unknown kind %s", kind);
}

static void check_type_error(temporal_args *args, const char *kind, size_t index, const char *got) {
  CHECK_EQ_INT(TEMPORAL_ETYPE, get(args, kind, index));
  char expected[128];
  snprintf(expected, sizeof expected, "argument %zu: expected %s, got %s", index, kind, got);
  CHECK_STR_EQ(expected, temporal_error_last());
}

TEST(args_getters_on_wrong_types) {
  temporal_args *args = sample_args();
  check_type_error(args, "string", A_INT, "integer");
  check_type_error(args, "string", A_REAL, "real");
  check_type_error(args, "string", A_TRUE, "boolean");
  check_type_error(args, "string", A_BYTES, "bytes");
  check_type_error(args, "string", A_NULL, "null");
  check_type_error(args, "string", A_OBJECT, "object");
  check_type_error(args, "string", A_JSON_NULL, "null");
  check_type_error(args, "integer", A_STRING, "string");
  check_type_error(args, "integer", A_TRUE, "boolean");
  check_type_error(args, "integer", A_NULL, "null");
  check_type_error(args, "integer", A_BYTES, "bytes");
  check_type_error(args, "number", A_STRING, "string");
  check_type_error(args, "number", A_FALSE, "boolean");
  check_type_error(args, "boolean", A_INT, "integer");
  check_type_error(args, "boolean", A_STRING, "string");
  check_type_error(args, "boolean", A_NULL, "null");
  check_type_error(args, "bytes", A_STRING, "string");
  check_type_error(args, "bytes", A_NULL, "null");
  check_type_error(args, "bytes", A_OBJECT, "object");
  check_type_error(args, "JSON", A_BYTES, "bytes");
  temporal__args_free(args);
}

TEST(args_out_untouched_on_error) {
  temporal_args *args = sample_args();
  const char *s = "untouched";
  CHECK_EQ_INT(TEMPORAL_ETYPE, temporal_args_get_string(&s, args, A_INT));
  CHECK_STR_EQ("untouched", s);
  int64_t i = -5;
  CHECK_EQ_INT(TEMPORAL_ENOTFOUND, temporal_args_get_int(&i, args, 99));
  CHECK_EQ_INT(-5, i);
  const uint8_t *bytes = (const uint8_t *)"x";
  size_t len = 77;
  CHECK_EQ_INT(TEMPORAL_ETYPE, temporal_args_get_bytes(&bytes, &len, args, A_STRING));
  CHECK_EQ_INT(77, len);
  CHECK(bytes[0] == 'x');
  json_t *j = json_true();
  CHECK_EQ_INT(TEMPORAL_ETYPE, temporal_args_get_json(&j, args, A_BYTES));
  CHECK(j == json_true());
  temporal__args_free(args);
}

TEST(args_missing_index) {
  temporal_args *args = sample_args();
  const char *kinds[] = {"string", "integer", "number", "boolean", "bytes", "JSON"};
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    CHECK_EQ_INT(TEMPORAL_ENOTFOUND, get(args, kinds[k], A_COUNT));
    CHECK_STR_EQ("argument 10 requested but the activity received 10 argument(s)", temporal_error_last());
  }
  const temporal_payload *p = NULL;
  CHECK_EQ_INT(TEMPORAL_ENOTFOUND, temporal_args_get_payload(&p, args, SIZE_MAX));
  CHECK(p == NULL);
  CHECK(!temporal_args_is_null(args, A_COUNT));
  temporal__args_free(args);

  /* No input at all: zero arguments. */
  CHECK_EQ_INT(0, temporal__args_new(&args, NULL));
  CHECK_EQ_INT(0, temporal_args_count(args));
  CHECK_EQ_INT(TEMPORAL_ENOTFOUND, get(args, "string", 0));
  CHECK_STR_EQ("argument 0 requested but the activity received 0 argument(s)", temporal_error_last());
  temporal__args_free(args);
  CHECK_EQ_INT(0, temporal_args_count(NULL));
  /* NULL outputs and args are refused with a message, never "succeed". */
  const char *str = "untouched";
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_args_get_string(&str, NULL, 0));
  CHECK_CONTAINS(temporal_error_last(), "args is NULL");
  CHECK_STR_EQ("untouched", str);

  Temporal__Api__Common__V1__Payloads *list = new_list();
  add_json(list, "1");
  CHECK_EQ_INT(0, temporal__args_new(&args, list));
  protobuf_c_message_free_unpacked(&list->base, NULL);
  CHECK_EQ_INT(TEMPORAL_ENOTFOUND, get(args, "integer", 2));
  CHECK_STR_EQ("argument 2 requested but the activity received 1 argument(s)", temporal_error_last());
  temporal__args_free(args);
}

TEST(args_is_null) {
  temporal_args *args = sample_args();
  CHECK(temporal_args_is_null(args, A_NULL));
  CHECK(temporal_args_is_null(args, A_JSON_NULL));
  CHECK(!temporal_args_is_null(args, A_STRING));
  CHECK(!temporal_args_is_null(args, A_BYTES));
  CHECK(!temporal_args_is_null(args, A_FALSE));
  CHECK(!temporal_args_is_null(NULL, 0));
  temporal__args_free(args);
}

TEST(args_int_edges) {
  Temporal__Api__Common__V1__Payloads *list = new_list();
  add_json(list, "9223372036854775807");
  add_json(list, "-9223372036854775808");
  add_json(list, "1e30");
  add_json(list, "-0.0");
  add_json(list, "1.5");
  add_json(list, "9223372036854775808.0");
  add_json(list, "-9223372036854775808.0");
  add_json(list, "123456789012345678901234567890");
  temporal_args *args = NULL;
  CHECK_EQ_INT(0, temporal__args_new(&args, list));
  protobuf_c_message_free_unpacked(&list->base, NULL);
  int64_t i = 0;
  CHECK_EQ_INT(0, temporal_args_get_int(&i, args, 0));
  CHECK(i == INT64_MAX);
  CHECK_EQ_INT(0, temporal_args_get_int(&i, args, 1));
  CHECK(i == INT64_MIN);
  CHECK_EQ_INT(TEMPORAL_ETYPE, temporal_args_get_int(&i, args, 2));
  CHECK_CONTAINS(temporal_error_last(), "argument 2: expected integer, got real");
  CHECK_CONTAINS(temporal_error_last(), "64-bit");
  CHECK_EQ_INT(0, temporal_args_get_int(&i, args, 3));
  CHECK_EQ_INT(0, i);
  CHECK_EQ_INT(TEMPORAL_ETYPE, temporal_args_get_int(&i, args, 4));
  CHECK_CONTAINS(temporal_error_last(), "argument 4: expected integer, got real 1.5");
  CHECK_CONTAINS(temporal_error_last(), "fraction");
  CHECK_EQ_INT(TEMPORAL_ETYPE, temporal_args_get_int(&i, args, 5));
  CHECK_EQ_INT(0, temporal_args_get_int(&i, args, 6));
  CHECK(i == INT64_MIN);
  /* Beyond int64 the argument is kept (the attempt does not fail) but no getter reads it inexactly:
   * each says why, and the raw payload has the exact digits. */
  double d = 0;
  json_t *j = NULL;
  CHECK_EQ_INT(TEMPORAL_ERANGE, temporal_args_get_int(&i, args, 7));
  CHECK_CONTAINS(temporal_error_last(),
                 "argument 7: expected integer, got a number that cannot be read exactly");
  CHECK_CONTAINS(temporal_error_last(), "temporal_args_get_payload");
  CHECK_EQ_INT(TEMPORAL_ERANGE, temporal_args_get_real(&d, args, 7));
  CHECK_EQ_INT(TEMPORAL_ERANGE, temporal_args_get_json(&j, args, 7));
  CHECK(j == NULL);
  const temporal_payload *raw = NULL;
  CHECK_EQ_INT(0, temporal_args_get_payload(&raw, args, 7));
  size_t len = 0;
  const uint8_t *text = temporal_payload_data(raw, &len);
  CHECK_EQ_INT(30, len);
  CHECK(memcmp(text, "123456789012345678901234567890", 30) == 0);
  CHECK(!temporal_args_is_null(args, 7));
  temporal__args_free(args);
}

TEST(args_null_outputs_are_refused) {
  temporal_args *args = sample_args();
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_args_get_string(NULL, args, A_STRING));
  CHECK_STR_EQ("temporal_args_get_string: out is NULL", temporal_error_last());
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_args_get_int(NULL, args, 0));
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_args_get_real(NULL, args, 0));
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_args_get_bool(NULL, args, A_FALSE));
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_args_get_json(NULL, args, 0));
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_args_get_payload(NULL, args, 0));
  const uint8_t *bytes = NULL;
  size_t len = 0;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_args_get_bytes(NULL, &len, args, A_BYTES));
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_args_get_bytes(&bytes, NULL, args, A_BYTES));
  CHECK_CONTAINS(temporal_error_last(), "len_out is NULL");
  CHECK(bytes == NULL);
  CHECK_EQ_INT(0, temporal_args_get_bytes(&bytes, &len, args, A_BYTES));
  temporal__args_free(args);
}

TEST(args_string_with_nul_is_refused) {
  Temporal__Api__Common__V1__Payloads *list = new_list();
  add_json(list, "\"a\\u0000b\"");
  temporal_args *args = NULL;
  CHECK_EQ_INT(0, temporal__args_new(&args, list));
  protobuf_c_message_free_unpacked(&list->base, NULL);
  const char *s = NULL;
  CHECK_EQ_INT(TEMPORAL_ETYPE, temporal_args_get_string(&s, args, 0));
  CHECK_CONTAINS(temporal_error_last(), "NUL");
  json_t *j = NULL;
  CHECK_EQ_INT(0, temporal_args_get_json(&j, args, 0));
  CHECK_EQ_INT(3, json_string_length(j));
  temporal__args_free(args);
}

TEST(args_unicode_and_empty_strings) {
  Temporal__Api__Common__V1__Payloads *list = new_list();
  add_json(list, "\"\"");
  add_json(list, "\"\xe6\x97\xa5\xe6\x9c\xac \\u00e9\"");
  temporal_args *args = NULL;
  CHECK_EQ_INT(0, temporal__args_new(&args, list));
  protobuf_c_message_free_unpacked(&list->base, NULL);
  const char *s = NULL;
  CHECK_EQ_INT(0, temporal_args_get_string(&s, args, 0));
  CHECK_STR_EQ("", s);
  CHECK_EQ_INT(0, temporal_args_get_string(&s, args, 1));
  CHECK_STR_EQ("\xe6\x97\xa5\xe6\x9c\xac \xc3\xa9", s);
  temporal__args_free(args);
}

TEST(args_decode_errors_name_the_argument) {
  Temporal__Api__Common__V1__Payloads *list = new_list();
  add_json(list, "\"fine\"");
  add_json(list, "{not json");
  temporal_args *args = (temporal_args *)0x1;
  CHECK_EQ_INT(TEMPORAL_EDECODE, temporal__args_new(&args, list));
  CHECK(args == (temporal_args *)0x1);
  CHECK_CONTAINS(temporal_error_last(), "argument 1: invalid JSON: ");
  protobuf_c_message_free_unpacked(&list->base, NULL);

  list = new_list();
  add_payload(list, "foo/bar", "x", 1);
  CHECK_EQ_INT(TEMPORAL_EDECODE, temporal__args_new(&args, list));
  CHECK_STR_EQ("argument 0: unknown encoding \"foo/bar\"", temporal_error_last());
  protobuf_c_message_free_unpacked(&list->base, NULL);

  list = new_list();
  add_json(list, "1");
  add_json(list, "2");
  Temporal__Api__Common__V1__Payload *bare = malloc(sizeof *bare);
  temporal__api__common__v1__payload__init(bare);
  list->payloads = realloc(list->payloads, 3 * sizeof *list->payloads);
  list->payloads[list->n_payloads++] = bare;
  CHECK_EQ_INT(TEMPORAL_EDECODE, temporal__args_new(&args, list));
  CHECK_CONTAINS(temporal_error_last(), "argument 2: ");
  CHECK_CONTAINS(temporal_error_last(), "encoding");
  protobuf_c_message_free_unpacked(&list->base, NULL);
}

TEST(args_from_payloads_copies) {
  temporal_payload *ps[3] = {NULL, NULL, NULL};
  CHECK_EQ_INT(0, temporal_payload_new_string(&ps[0], "x"));
  CHECK_EQ_INT(0, temporal_payload_new_bytes(&ps[1], "yz", 2));
  CHECK_EQ_INT(0, temporal_payload_new_null(&ps[2]));
  temporal_args *args = NULL;
  CHECK_EQ_INT(0, temporal__args_from_payloads(&args, (const temporal_payload *const *)ps, 3));
  for (int i = 0; i < 3; i++) temporal_payload_free(ps[i]);
  CHECK_EQ_INT(3, temporal_args_count(args));
  const char *s = NULL;
  CHECK_EQ_INT(0, temporal_args_get_string(&s, args, 0));
  CHECK_STR_EQ("x", s);
  const uint8_t *b = NULL;
  size_t len = 0;
  CHECK_EQ_INT(0, temporal_args_get_bytes(&b, &len, args, 1));
  CHECK(len == 2 && memcmp(b, "yz", 2) == 0);
  CHECK(temporal_args_is_null(args, 2));
  temporal__args_free(args);

  CHECK_EQ_INT(0, temporal__args_from_payloads(&args, NULL, 0));
  CHECK_EQ_INT(0, temporal_args_count(args));
  temporal__args_free(args);

  temporal_payload *bad = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_bytes(&bad, "x", 1));
  /* Rewrite its encoding to something unknown: decoding names the argument. */
  free(bad->meta[0].value);
  bad->meta[0].value = (uint8_t *)strdup("x/y");
  bad->meta[0].len = 3;
  const temporal_payload *list[] = {bad};
  CHECK_EQ_INT(TEMPORAL_EDECODE, temporal__args_from_payloads(&args, list, 1));
  CHECK_STR_EQ("argument 0: unknown encoding \"x/y\"", temporal_error_last());
  temporal_payload_free(bad);
  temporal__args_free(NULL);
}

TEST(args_error_becomes_result_message) {
  temporal_args *args = sample_args();
  const char *s;
  int rc = temporal_args_get_string(&s, args, A_INT);
  temporal_result *r = temporal_result_from_code(rc);
  CHECK_EQ_INT(TEMPORAL__RESULT_ERROR, r->kind);
  CHECK_STR_EQ("argument 1: expected string, got integer", temporal_application_error_message(r->error));
  CHECK_STR_EQ("TemporalError", temporal_application_error_type(r->error));
  CHECK(!temporal_application_error_non_retryable(r->error));
  temporal_result_free(r);
  temporal__args_free(args);
}
