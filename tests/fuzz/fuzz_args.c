/* Argument decoding: an activity task's input payloads as the worker decodes them (args.c,
 * payload_json.c) and as an activity reads them (every getter on every argument), and the same
 * payloads carried as bytes the way heartbeat details cross processes (payload_proto.c).
 *
 * The first input byte picks the form of the rest:
 *   even: a packed temporal.api.common.v1.Payloads message (what the server sends);
 *   odd:  JSON texts separated by 0xff bytes (never part of UTF-8 JSON), each a json/plain payload,
 *         so the fuzzer can work on the JSON text directly.
 *
 * Properties: decoding fails only with TEMPORAL_EDECODE; the raw (dynamic activity) decoding never
 * fails and agrees with it argument by argument; each getter succeeds exactly for the types it
 * reads and otherwise says TEMPORAL_ETYPE (TEMPORAL_ERANGE for a number too large to hold);
 * a decoded JSON value encoded again decodes to an equal value; payloads serialized and
 * deserialized are the same payloads and decode the same way. */
#include <string.h>

#include "check.h"
#include "converter/converter_internal.h"
#include "temporal/errors.h"
#include "same.h"
#include "temporal/log.h"

#define MAX_JSON_ARGS 16
#define JSON_SEPARATOR 0xff

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The library logs at most a warning here; each input would print it. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  temporal_log_set_level(TEMPORAL_LOG_OFF);
  return 0;
}

/* A getter that failed: a type error, unless the argument is a number too large to hold. */
static void require_refused(int rc, const temporal_args *args, size_t i) {
  bool out_of_range = args->out_of_range && args->out_of_range[i];
  FUZZ_REQUIRE(rc == (out_of_range ? TEMPORAL_ERANGE : TEMPORAL_ETYPE));
  FUZZ_REQUIRE(temporal_error_last()[0] != '\0');
}

/* A decoded value, encoded as a payload the way a result or a heartbeat detail is, decodes equal. */
static void require_reencodes(const json_t *value) {
  temporal_payload *p = NULL;
  int rc = temporal_payload_new_json(&p, value);
  if (rc == TEMPORAL_ENOMEM) return;
  FUZZ_REQUIRE(rc == 0);
  json_t *again = NULL;
  FUZZ_REQUIRE(temporal_payload_to_json(&again, p) == 0);
  FUZZ_REQUIRE(json_equal(value, again));
  json_decref(again);
  temporal_payload_free(p);
}

/* Every getter on argument i agrees with what the argument holds. */
static void check_argument(const temporal_args *args, size_t i) {
  const json_t *v = args->json[i];
  bool undecoded = args->undecoded && args->undecoded[i];
  bool out_of_range = args->out_of_range && args->out_of_range[i];
  FUZZ_REQUIRE(!(v && (undecoded || out_of_range)));

  const temporal_payload *payload = NULL;
  FUZZ_REQUIRE(temporal_args_get_payload(&payload, args, i) == 0 && payload == args->payloads[i]);

  json_t *json = NULL;
  int rc = temporal_args_get_json(&json, args, i);
  if (v) {
    FUZZ_REQUIRE(rc == 0 && json == v);
    require_reencodes(v);
  } else {
    require_refused(rc, args, i);
  }

  const char *s = NULL;
  rc = temporal_args_get_string(&s, args, i);
  if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v))
    FUZZ_REQUIRE(rc == 0 && s == json_string_value(v));
  else if (json_is_string(v))
    FUZZ_REQUIRE(rc == TEMPORAL_ETYPE); /* a NUL inside: the JSON getter gives all of it */
  else
    require_refused(rc, args, i);

  int64_t n = 0;
  rc = temporal_args_get_int(&n, args, i);
  if (json_is_integer(v)) {
    FUZZ_REQUIRE(rc == 0 && n == json_integer_value(v));
  } else if (json_is_real(v)) {
    /* A real reads as an integer only when it is one exactly. */
    FUZZ_REQUIRE(rc == 0 ? (double)n == json_real_value(v) : rc == TEMPORAL_ETYPE);
  } else {
    require_refused(rc, args, i);
  }

  double d = 0;
  rc = temporal_args_get_real(&d, args, i);
  if (json_is_number(v))
    FUZZ_REQUIRE(rc == 0 && d == json_number_value(v));
  else
    require_refused(rc, args, i);

  bool b = false;
  rc = temporal_args_get_bool(&b, args, i);
  if (json_is_boolean(v))
    FUZZ_REQUIRE(rc == 0 && b == json_is_true(v));
  else
    require_refused(rc, args, i);

  /* Bytes are what is left: a binary/plain payload, which is not decoded at all. */
  const uint8_t *bytes = NULL;
  size_t len = 0;
  rc = temporal_args_get_bytes(&bytes, &len, args, i);
  if (!v && !undecoded && !out_of_range) {
    FUZZ_REQUIRE(rc == 0 && bytes == payload->data && len == payload->len);
    FUZZ_REQUIRE(strcmp(temporal_payload_encoding(payload), TEMPORAL_ENCODING_BINARY) == 0);
  } else {
    require_refused(rc, args, i);
  }

  FUZZ_REQUIRE(temporal_args_is_null(args, i) == json_is_null(v));
}

static void check_arguments(const temporal_args *args, size_t count) {
  FUZZ_REQUIRE(temporal_args_count(args) == count);
  for (size_t i = 0; i < count; i++) check_argument(args, i);
  /* One past the end is "not found" for every getter. */
  json_t *json = NULL;
  FUZZ_REQUIRE(temporal_args_get_json(&json, args, count) == TEMPORAL_ENOTFOUND);
  FUZZ_REQUIRE(!temporal_args_is_null(args, count));
}

/* Two decodings of the same payloads agree on every argument that both decoded. */
static void require_same_decoding(const temporal_args *a, const temporal_args *b) {
  FUZZ_REQUIRE(a->count == b->count);
  for (size_t i = 0; i < a->count; i++) {
    FUZZ_REQUIRE(same_payload(a->payloads[i], b->payloads[i]));
    FUZZ_REQUIRE(!a->json[i] == !b->json[i]);
    FUZZ_REQUIRE(!a->json[i] || json_equal(a->json[i], b->json[i]));
  }
}

/* The payloads as a heartbeat's details travel from a pool child: serialized, deserialized, then
 * decoded again as the next attempt's heartbeat details, which fails only if the first decoding
 * did (`decodes` false: some argument does not decode). */
static void check_carried(const temporal_args *decoded, bool decodes) {
  const temporal_payload *const *payloads = (const temporal_payload *const *)decoded->payloads;
  uint8_t *bytes = NULL;
  size_t len = 0;
  int rc = temporal__payloads_serialize(&bytes, &len, payloads, decoded->count);
  if (rc == TEMPORAL_ENOMEM) return;
  FUZZ_REQUIRE(rc == 0);
  /* The size check against the server's limit counts map entries as Go writes them (key and value
   * always); protobuf-c leaves empty ones out, so it never writes more than that. */
  FUZZ_REQUIRE(len <= temporal__payloads_encoded_size(payloads, decoded->count));
  temporal_payload **list = NULL;
  size_t count = 0;
  FUZZ_REQUIRE(temporal__payloads_deserialize(&list, &count, bytes, len) == 0);
  free(bytes);
  FUZZ_REQUIRE(count == decoded->count);
  for (size_t i = 0; i < count; i++) FUZZ_REQUIRE(same_payload(list[i], decoded->payloads[i]));
  temporal_args *again = NULL;
  rc = temporal__args_from_payloads(&again, (const temporal_payload *const *)list, count);
  FUZZ_REQUIRE(rc == (decodes ? 0 : TEMPORAL_EDECODE));
  if (again) require_same_decoding(decoded, again);
  temporal__args_free(again);
  temporal__payload_array_free(list, count);
}

static void check_payloads(const Temporal__Api__Common__V1__Payloads *input) {
  temporal_args *args = NULL, *raw = NULL;
  int rc = temporal__args_new(&args, input);
  FUZZ_REQUIRE(rc == 0 || rc == TEMPORAL_EDECODE);
  FUZZ_REQUIRE(temporal__args_new_raw(&raw, input) == 0);
  check_arguments(raw, input->n_payloads);
  if (args) {
    check_arguments(args, input->n_payloads);
    for (size_t i = 0; i < raw->count; i++) FUZZ_REQUIRE(!raw->undecoded[i]);
    require_same_decoding(args, raw);
    check_carried(args, true);
  } else {
    /* The strict decoding failed: the raw one names an argument that does not decode. */
    bool any = false;
    for (size_t i = 0; i < raw->count; i++) any = any || raw->undecoded[i];
    FUZZ_REQUIRE(any);
    check_carried(raw, false);
  }
  temporal__args_free(args);
  temporal__args_free(raw);
}

/* The odd form: JSON texts, each a json/plain payload that points into the input. */
static void check_json_texts(const uint8_t *data, size_t size) {
  static char key[] = "encoding";
  static uint8_t json_plain[] = TEMPORAL_ENCODING_JSON;
  Temporal__Api__Common__V1__Payload__MetadataEntry entry =
      TEMPORAL__API__COMMON__V1__PAYLOAD__METADATA_ENTRY__INIT;
  entry.key = key;
  entry.value.data = json_plain;
  entry.value.len = sizeof json_plain - 1;
  Temporal__Api__Common__V1__Payload__MetadataEntry *entries[] = {&entry};
  Temporal__Api__Common__V1__Payload payload[MAX_JSON_ARGS];
  Temporal__Api__Common__V1__Payload *list[MAX_JSON_ARGS];
  size_t n = 0;
  for (size_t start = 0; start <= size && n < MAX_JSON_ARGS; n++) {
    const uint8_t *end = memchr(data + start, JSON_SEPARATOR, size - start);
    size_t len = end ? (size_t)(end - (data + start)) : size - start;
    temporal__api__common__v1__payload__init(&payload[n]);
    payload[n].n_metadata = 1;
    payload[n].metadata = entries;
    payload[n].data.data = (uint8_t *)data + start;
    payload[n].data.len = len;
    list[n] = &payload[n];
    start += len + 1;
  }
  Temporal__Api__Common__V1__Payloads input = TEMPORAL__API__COMMON__V1__PAYLOADS__INIT;
  input.n_payloads = n;
  input.payloads = list;
  check_payloads(&input);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  if (data[0] & 1) {
    check_json_texts(data + 1, size - 1);
    return 0;
  }
  /* Payloads nest no deeper than Payload -> metadata entry: unpacking any bytes is bounded. */
  Temporal__Api__Common__V1__Payloads *input =
      temporal__api__common__v1__payloads__unpack(NULL, size - 1, data + 1);
  if (!input) return 0;
  check_payloads(input);
  protobuf_c_message_free_unpacked(&input->base, NULL);
  return 0;
}
