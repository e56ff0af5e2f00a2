/* Positional arguments: decoded once when the task arrives, then read with typed getters that say
 * exactly what was wrong (which index, which type was asked for, which type arrived). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"

void temporal__args_free(temporal_args *args) {
  if (!args) return;
  for (size_t i = 0; i < args->count; i++) {
    temporal_payload_free(args->payloads ? args->payloads[i] : NULL);
    if (args->json && args->json[i]) json_decref(args->json[i]);
  }
  for (size_t i = 0; args->out_of_range && i < args->count; i++) free(args->out_of_range[i]);
  free(args->out_of_range);
  free(args->payloads);
  free(args->json);
  free(args->undecoded);
  free(args);
}

static bool is_binary(const temporal_payload *payload) {
  size_t len = 0;
  const uint8_t *enc = temporal_payload_metadata(payload, "encoding", &len);
  return enc && len == strlen(TEMPORAL_ENCODING_BINARY) && memcmp(enc, TEMPORAL_ENCODING_BINARY, len) == 0;
}

/* Decodes args->payloads[i] into args->json[i] (left NULL for bytes). A number out of range does not
 * fail the decoding: only the getters that would read it wrongly refuse it. */
static int decode_one(temporal_args *args, size_t i) {
  if (is_binary(args->payloads[i])) return 0;
  int rc = temporal_payload_to_json(&args->json[i], args->payloads[i]);
  if (rc == 0 || rc == TEMPORAL_ENOMEM) return rc;
  if (rc == TEMPORAL_ERANGE) {
    if (!args->out_of_range && !(args->out_of_range = calloc(args->count, sizeof *args->out_of_range)))
      return temporal__error(TEMPORAL_ENOMEM, "out of memory");
    if (!(args->out_of_range[i] = temporal__strdup(temporal_error_last())))
      return temporal__error(TEMPORAL_ENOMEM, "out of memory");
    return 0;
  }
  /* The reason is the thread's last error, which the new message overwrites: copy it first. */
  char reason[512];
  snprintf(reason, sizeof reason, "%s", temporal_error_last());
  return temporal__error(rc, "argument %zu: %s", i, reason);
}

/* An args object with `count` empty slots. */
static temporal_args *args_alloc(size_t count) {
  temporal_args *args = calloc(1, sizeof *args);
  if (!args) return NULL;
  if (count) {
    args->payloads = calloc(count, sizeof *args->payloads);
    args->json = calloc(count, sizeof *args->json);
    if (!args->payloads || !args->json) {
      free(args->payloads);
      free(args->json);
      free(args);
      return NULL;
    }
  }
  args->count = count;
  return args;
}

int temporal__args_new(temporal_args **out, const Temporal__Api__Common__V1__Payloads *input) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "temporal__args_new: out is NULL");
  size_t count = input ? input->n_payloads : 0;
  temporal_args *args = args_alloc(count);
  if (!args) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  for (size_t i = 0; i < count; i++) {
    int rc;
    if (!input->payloads[i]) {
      rc = temporal__error(TEMPORAL_EDECODE, "argument %zu: missing payload", i);
    } else {
      rc = temporal__payload_from_proto(&args->payloads[i], input->payloads[i]);
      if (rc == 0) rc = decode_one(args, i);
    }
    if (rc != 0) {
      temporal__args_free(args);
      return rc;
    }
  }
  *out = args;
  return 0;
}

int temporal__args_new_raw(temporal_args **out, const Temporal__Api__Common__V1__Payloads *input) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "temporal__args_new_raw: out is NULL");
  size_t count = input ? input->n_payloads : 0;
  temporal_args *args = args_alloc(count);
  if (!args || (count && !(args->undecoded = calloc(count, sizeof *args->undecoded)))) {
    temporal__args_free(args);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < count; i++) {
    int rc = 0;
    if (input->payloads[i])
      rc = temporal__payload_from_proto(&args->payloads[i], input->payloads[i]);
    else
      rc = temporal_payload_new_null(&args->payloads[i]);
    if (rc == 0 && decode_one(args, i) != 0) {
      if (args->json[i]) json_decref(args->json[i]);
      args->json[i] = NULL;
      args->undecoded[i] = true;
    }
    if (rc != 0) {
      temporal__args_free(args);
      return rc;
    }
  }
  *out = args;
  return 0;
}

int temporal__args_from_payloads(temporal_args **out, const temporal_payload *const *payloads, size_t count) {
  if (!out || (!payloads && count))
    return temporal__error(TEMPORAL_EINVAL, "temporal__args_from_payloads: NULL argument");
  temporal_args *args = args_alloc(count);
  if (!args) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  for (size_t i = 0; i < count; i++) {
    int rc = payloads[i] ? temporal_payload_copy(&args->payloads[i], payloads[i])
                         : temporal__error(TEMPORAL_EINVAL, "argument %zu: NULL payload", i);
    if (rc == 0) rc = decode_one(args, i);
    if (rc != 0) {
      temporal__args_free(args);
      return rc;
    }
  }
  *out = args;
  return 0;
}

size_t temporal_args_count(const temporal_args *args) {
  return args ? args->count : 0;
}

static bool is_out_of_range(const temporal_args *args, size_t i) {
  return args->out_of_range && args->out_of_range[i];
}

/* A name for the type of argument `i`, as the error messages show it. */
static const char *type_name(const temporal_args *args, size_t i) {
  const json_t *v = args->json[i];
  if (args->undecoded && args->undecoded[i]) return "a payload that does not decode";
  if (is_out_of_range(args, i)) return "a number out of range";
  if (!v) return "bytes";
  switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "real";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
  }
  return "unknown";
}

/* What every getter checks first: EINVAL for a NULL output or args, ENOTFOUND unless `index` exists. */
static int check_call(const char *getter, const void *out, const temporal_args *args, size_t index) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "%s: out is NULL", getter);
  if (!args) return temporal__error(TEMPORAL_EINVAL, "%s: args is NULL", getter);
  size_t count = temporal_args_count(args);
  if (index < count) return 0;
  return temporal__error(TEMPORAL_ENOTFOUND,
                         "argument %zu requested but the activity received %zu argument(s)", index, count);
}

/* ERANGE for a number no json_t holds exactly, otherwise ETYPE. */
static int type_error(const temporal_args *args, size_t index, const char *expected) {
  if (is_out_of_range(args, index))
    return temporal__error(TEMPORAL_ERANGE,
                           "argument %zu: expected %s, got a number that cannot be read exactly: %s; "
                           "temporal_args_get_payload gives its exact text",
                           index, expected, args->out_of_range[index]);
  return temporal__error(TEMPORAL_ETYPE, "argument %zu: expected %s, got %s", index, expected,
                         type_name(args, index));
}

int temporal_args_get_string(const char **out, const temporal_args *args, size_t index) {
  int rc = check_call("temporal_args_get_string", out, args, index);
  if (rc != 0) return rc;
  const json_t *v = args->json[index];
  if (!json_is_string(v)) return type_error(args, index, "string");
  /* A C string would silently cut such a value short; the JSON getter gives all of it. */
  if (strlen(json_string_value(v)) != json_string_length(v))
    return temporal__error(
        TEMPORAL_ETYPE,
        "argument %zu: the string contains a NUL character; read it with temporal_args_get_json", index);
  *out = json_string_value(v);
  return 0;
}

int temporal_args_get_int(int64_t *out, const temporal_args *args, size_t index) {
  int rc = check_call("temporal_args_get_int", out, args, index);
  if (rc != 0) return rc;
  const json_t *v = args->json[index];
  if (json_is_integer(v)) {
    *out = (int64_t)json_integer_value(v);
    return 0;
  }
  if (!json_is_real(v)) return type_error(args, index, "integer");
  double d = json_real_value(v);
  /* [-2^63, 2^63) is exactly the doubles that convert to int64 without overflow. */
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
    return temporal__error(
        TEMPORAL_ETYPE, "argument %zu: expected integer, got real %g (outside the 64-bit range)", index, d);
  int64_t i = (int64_t)d;
  if ((double)i != d)
    return temporal__error(TEMPORAL_ETYPE, "argument %zu: expected integer, got real %g (has a fraction)",
                           index, d);
  *out = i;
  return 0;
}

int temporal_args_get_real(double *out, const temporal_args *args, size_t index) {
  int rc = check_call("temporal_args_get_real", out, args, index);
  if (rc != 0) return rc;
  const json_t *v = args->json[index];
  if (!json_is_number(v)) return type_error(args, index, "number");
  *out = json_number_value(v);
  return 0;
}

int temporal_args_get_bool(bool *out, const temporal_args *args, size_t index) {
  int rc = check_call("temporal_args_get_bool", out, args, index);
  if (rc != 0) return rc;
  const json_t *v = args->json[index];
  if (!json_is_boolean(v)) return type_error(args, index, "boolean");
  *out = json_is_true(v);
  return 0;
}

int temporal_args_get_bytes(const uint8_t **out, size_t *len_out, const temporal_args *args, size_t index) {
  if (out && !len_out) return temporal__error(TEMPORAL_EINVAL, "temporal_args_get_bytes: len_out is NULL");
  int rc = check_call("temporal_args_get_bytes", out, args, index);
  if (rc != 0) return rc;
  if (args->json[index] || (args->undecoded && args->undecoded[index]) || is_out_of_range(args, index))
    return type_error(args, index, "bytes");
  const temporal_payload *p = args->payloads[index];
  *out = p->data;
  *len_out = p->len;
  return 0;
}

int temporal_args_get_json(json_t **out, const temporal_args *args, size_t index) {
  int rc = check_call("temporal_args_get_json", out, args, index);
  if (rc != 0) return rc;
  if (!args->json[index]) return type_error(args, index, "JSON");
  *out = args->json[index];
  return 0;
}

int temporal_args_get_payload(const temporal_payload **out, const temporal_args *args, size_t index) {
  int rc = check_call("temporal_args_get_payload", out, args, index);
  if (rc != 0) return rc;
  *out = args->payloads[index];
  return 0;
}

bool temporal_args_is_null(const temporal_args *args, size_t index) {
  return index < temporal_args_count(args) && json_is_null(args->json[index]);
}
