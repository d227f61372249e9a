/* test_invalid_arguments.c: WI_STATUS_INVALID_ARGUMENT for NULL handles,
 * out-parameters and strings, unknown option keys, unparsable values and
 * invalid UTF-8; out-parameters are NULL after each failure, out_error may be
 * NULL, every *_free accepts NULL, and no bad call reaches the server. */
#define _POSIX_C_SOURCE 200809L

#include <string.h>

#include "harness.h"

#define INVALID_UTF8 "\xc3\x28" /* a lead byte followed by a non-continuation byte */

/* Checks an INVALID_ARGUMENT failure whose message mentions `mention`, then frees the error. */
static void check_invalid(wi_status status, wi_error *error, const char *mention) {
  if (!contains(wi_error_message(error), mention)) {
    fprintf(stderr, "the message should mention \"%s\"\n", mention);
  }
  CHECK_ERR(contains(wi_error_message(error), mention), error);
  check_failure(status, error, WI_STATUS_INVALID_ARGUMENT, 0, NULL, false, NULL, NULL);
}

/* Runs `call`, which passes `&error` as its out_error, and checks it with check_invalid. */
#define EXPECT_INVALID(call, mention)                                                    \
  do {                                                                                   \
    wi_error *error = NULL;                                                              \
    wi_status status = (call);                                                           \
    check_invalid(status, error, (mention));                                             \
  } while (0)

static void test_options_set(void) {
  wi_options *options = wi_options_new();
  CHECK(options != NULL);

  EXPECT_INVALID(wi_options_set(NULL, "client_id", "x", &error), "options");
  EXPECT_INVALID(wi_options_set(options, NULL, "x", &error), "key");
  EXPECT_INVALID(wi_options_set(options, "no_such_key", "x", &error), "no_such_key");
  EXPECT_INVALID(wi_options_set(options, "Client_Id", "x", &error), "Client_Id");
  EXPECT_INVALID(wi_options_set(options, "client_id" INVALID_UTF8, "x", &error), "UTF-8");
  EXPECT_INVALID(wi_options_set(options, "client_id", INVALID_UTF8, &error), "UTF-8");
  EXPECT_INVALID(wi_options_set(options, "client_secret", "s" INVALID_UTF8, &error), "UTF-8");

  const char *bad_values[][2] = {
      {"timeout_ms", "abc"},         {"timeout_ms", "0"},          {"timeout_ms", "-5"},
      {"timeout_ms", "10 ms"},       {"connect_timeout_ms", ""},   {"deadline_ms", "1e3"},
      {"expiry_buffer_s", "soon"},   {"max_retries", "11"},        {"max_retries", "-1"},
      {"allow_insecure_http", "maybe"}, {"client_auth", "password"},
      {"token_endpoint", "not a url"}, {"access_token_endpoint", "ftp://127.0.0.1/x"},
      {"outbound_auth_endpoint", "http://"}, {"proxy", "::"}, {"user_agent", "line\nbreak"},
  };
  for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
    wi_error *error = NOT_NULL_SENTINEL;
    wi_status status = wi_options_set(options, bad_values[i][0], bad_values[i][1], &error);
    if (status != WI_STATUS_INVALID_ARGUMENT) fprintf(stderr, "accepted %s\n", bad_values[i][0]);
    check_invalid(status, error, bad_values[i][0]);
  }
  /* out_error NULL is allowed on failure. */
  CHECK(wi_options_set(options, "timeout_ms", "abc", NULL) == WI_STATUS_INVALID_ARGUMENT);
  CHECK(wi_options_set(options, "no_such_key", "1", NULL) == WI_STATUS_INVALID_ARGUMENT);
  wi_options_free(options);
  test_passed("wi_options_set: NULL options/key, unknown keys, bad values, invalid UTF-8");
}

/* A failed set leaves the options as they were: the client still works. */
static void test_failed_set_keeps_options(void) {
  wi_options *options = dev_client_options(DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  CHECK(wi_options_set(options, "token_endpoint", "not a url", NULL) == WI_STATUS_INVALID_ARGUMENT);
  CHECK(wi_options_set(options, "client_secret", INVALID_UTF8, NULL) == WI_STATUS_INVALID_ARGUMENT);
  wi_client *client = NULL;
  CHECK_OK(wi_client_new(options, &client, &check_ok_error));
  wi_options_free(options);
  char *token = NULL;
  CHECK_OK(wi_get_access_token(client, &token, &check_ok_error));
  wi_free_string(token);
  wi_client_free(client);
  dev_control("reset", "{}");
  test_passed("a failed wi_options_set leaves the options unchanged");
}

static void test_client_new(void) {
  EXPECT_INVALID(wi_client_new(NULL, NULL, &error), "out_client");
  CHECK(wi_client_new(NULL, NULL, NULL) == WI_STATUS_INVALID_ARGUMENT);
  test_passed("wi_client_new: NULL out_client");
}

static void test_client_calls(const wi_client *client) {
  char *out = NOT_NULL_SENTINEL;

  EXPECT_INVALID(wi_get_access_token(NULL, &out, &error), "client");
  CHECK(out == NULL);
  EXPECT_INVALID(wi_get_access_token(client, NULL, &error), "out_token");
  CHECK(wi_get_access_token(NULL, NULL, NULL) == WI_STATUS_INVALID_ARGUMENT);

  out = NOT_NULL_SENTINEL;
  uint32_t lease_ms = UINT32_MAX;
  EXPECT_INVALID(wi_get_access_token_lease(NULL, &out, &lease_ms, &error), "client");
  CHECK(out == NULL && lease_ms == 0);
  EXPECT_INVALID(wi_get_access_token_lease(client, &out, NULL, &error), "out_lease_ms");
  EXPECT_INVALID(wi_get_access_token_lease(client, NULL, &lease_ms, &error), "out_token");

  char buffer[64] = "untouched";
  size_t length = SIZE_MAX;
  EXPECT_INVALID(wi_get_access_token_into(NULL, buffer, sizeof buffer, &length, &error), "client");
  CHECK(length == 0);
  EXPECT_INVALID(wi_get_access_token_into(client, buffer, sizeof buffer, NULL, &error), "out_len");
  length = SIZE_MAX;
  EXPECT_INVALID(wi_get_access_token_into(client, NULL, 16, &length, &error), "buffer");
  CHECK(length == 0);

  out = NOT_NULL_SENTINEL;
  EXPECT_INVALID(wi_force_refresh(NULL, &out, &error), "client");
  CHECK(out == NULL);
  EXPECT_INVALID(wi_force_refresh(client, NULL, &error), "out_token");

  out = NOT_NULL_SENTINEL;
  EXPECT_INVALID(wi_get_integration_credential(NULL, "github", &out, &error), "client");
  CHECK(out == NULL);
  out = NOT_NULL_SENTINEL;
  EXPECT_INVALID(wi_get_integration_credential(client, NULL, &out, &error), "integration_name");
  CHECK(out == NULL);
  out = NOT_NULL_SENTINEL;
  EXPECT_INVALID(wi_get_integration_credential(client, "git" INVALID_UTF8, &out, &error), "UTF-8");
  CHECK(out == NULL);
  out = NOT_NULL_SENTINEL;
  EXPECT_INVALID(wi_get_integration_credential(client, "", &out, &error), "integration_name");
  CHECK(out == NULL);
  EXPECT_INVALID(wi_get_integration_credential(client, "github", NULL, &error), "out_credential");

  out = NOT_NULL_SENTINEL;
  EXPECT_INVALID(wi_get_project_env_vars(NULL, &out, &error), "client");
  CHECK(out == NULL);
  EXPECT_INVALID(wi_get_project_env_vars(client, NULL, &error), "out_json");

  EXPECT_INVALID(wi_invalidate_token(NULL, "at_x", &error), "client");
  EXPECT_INVALID(wi_invalidate_token(client, NULL, &error), "rejected_token");
  EXPECT_INVALID(wi_invalidate_token(client, "at_" INVALID_UTF8, &error), "UTF-8");
  CHECK(wi_invalidate_token(client, NULL, NULL) == WI_STATUS_INVALID_ARGUMENT);

  wi_stats stats = {.struct_size = sizeof stats};
  CHECK(wi_client_stats(NULL, &stats) == WI_STATUS_INVALID_ARGUMENT);
  CHECK(wi_client_stats(client, NULL) == WI_STATUS_INVALID_ARGUMENT);
  stats.struct_size = 0;
  CHECK(wi_client_stats(client, &stats) == WI_STATUS_INVALID_ARGUMENT);
  stats.struct_size = sizeof(uint32_t) - 1;
  CHECK(wi_client_stats(client, &stats) == WI_STATUS_INVALID_ARGUMENT);
  test_passed("client calls: NULL client, NULL out-parameters, NULL buffer, NULL/empty/invalid UTF-8 strings");
}

static void test_exchange_arguments(const wi_client *client) {
  char *out = NOT_NULL_SENTINEL;
  wi_exchange_params params = {.subject_token = "at_subject"};

  EXPECT_INVALID(wi_exchange_token(NULL, &params, &out, &error), "client");
  CHECK(out == NULL);
  out = NOT_NULL_SENTINEL;
  EXPECT_INVALID(wi_exchange_token(client, NULL, &out, &error), "params");
  CHECK(out == NULL);
  EXPECT_INVALID(wi_exchange_token(client, &params, NULL, &error), "out_token");

  wi_exchange_params no_subject = {.audience = "demo-audience"};
  out = NOT_NULL_SENTINEL;
  EXPECT_INVALID(wi_exchange_token(client, &no_subject, &out, &error), "subject_token");
  CHECK(out == NULL);

  wi_exchange_params bad_subject = {.subject_token = "at_" INVALID_UTF8};
  out = NOT_NULL_SENTINEL;
  EXPECT_INVALID(wi_exchange_token(client, &bad_subject, &out, &error), "subject_token");
  CHECK(out == NULL);

  wi_exchange_params bad_audience = {.subject_token = "at_subject", .audience = INVALID_UTF8};
  EXPECT_INVALID(wi_exchange_token(client, &bad_audience, &out, &error), "audience");

  wi_exchange_params bad_scope = {.subject_token = "at_subject", .scope = "read " INVALID_UTF8};
  EXPECT_INVALID(wi_exchange_token(client, &bad_scope, &out, &error), "scope");

  wi_exchange_params actor_without_type = {.subject_token = "at_subject", .actor_token = "actor"};
  out = NOT_NULL_SENTINEL;
  EXPECT_INVALID(wi_exchange_token(client, &actor_without_type, &out, &error), "actor_token_type");
  CHECK(out == NULL);
  CHECK(wi_exchange_token(client, &actor_without_type, &out, NULL) == WI_STATUS_INVALID_ARGUMENT);
  test_passed("wi_exchange_token: NULL params/subject, invalid UTF-8, actor token without type");
}

/* Passes NULL as argument `null_arg` (its position) and the real value otherwise. */
#define ARG(position, value) (null_arg == (position) ? NULL : (value))

/* Every function, with each required pointer argument NULL in turn while the
 * others are valid: WI_STATUS_INVALID_ARGUMENT naming that argument, and every
 * out-parameter that is not NULL reset (pointers NULL, numbers 0, the buffer
 * empty, the stats counters 0) whatever else is NULL. */
static void test_every_argument_null_in_turn(const wi_client *client) {
  static const char *const set_args[] = {"options", "key"};
  wi_options *options = wi_options_new();
  for (int null_arg = 0; null_arg < 2; null_arg++) {
    EXPECT_INVALID(wi_options_set(ARG(0, options), ARG(1, "client_id"), "x", &error), set_args[null_arg]);
  }
  wi_options_free(options);

  static const char *const token_args[] = {"client", "out_token"};
  for (int null_arg = 0; null_arg < 2; null_arg++) {
    char *token = NOT_NULL_SENTINEL;
    EXPECT_INVALID(wi_get_access_token(ARG(0, client), ARG(1, &token), &error), token_args[null_arg]);
    CHECK(null_arg == 1 || token == NULL);
    token = NOT_NULL_SENTINEL;
    EXPECT_INVALID(wi_force_refresh(ARG(0, client), ARG(1, &token), &error), token_args[null_arg]);
    CHECK(null_arg == 1 || token == NULL);
  }

  static const char *const lease_args[] = {"client", "out_token", "out_lease_ms"};
  for (int null_arg = 0; null_arg < 3; null_arg++) {
    char *token = NOT_NULL_SENTINEL;
    uint32_t lease_ms = UINT32_MAX;
    EXPECT_INVALID(wi_get_access_token_lease(ARG(0, client), ARG(1, &token), ARG(2, &lease_ms), &error),
                   lease_args[null_arg]);
    CHECK(null_arg == 1 || token == NULL);
    CHECK(null_arg == 2 || lease_ms == 0);
  }

  static const char *const into_args[] = {"client", "buffer", "out_len"};
  for (int null_arg = 0; null_arg < 3; null_arg++) {
    char buffer[8] = "xxxxxxx";
    size_t length = SIZE_MAX;
    EXPECT_INVALID(wi_get_access_token_into(ARG(0, client), ARG(1, buffer), sizeof buffer, ARG(2, &length), &error),
                   into_args[null_arg]);
    CHECK(null_arg == 1 || buffer[0] == '\0');
    CHECK(null_arg == 2 || length == 0);
  }

  static const char *const exchange_args[] = {"client", "params", "out_token", "subject_token"};
  for (int null_arg = 0; null_arg < 4; null_arg++) {
    wi_exchange_params params = {.subject_token = ARG(3, "at_subject")};
    char *token = NOT_NULL_SENTINEL;
    EXPECT_INVALID(wi_exchange_token(ARG(0, client), ARG(1, &params), ARG(2, &token), &error),
                   exchange_args[null_arg]);
    CHECK(null_arg == 2 || token == NULL);
  }

  static const char *const credential_args[] = {"client", "integration_name", "out_credential"};
  for (int null_arg = 0; null_arg < 3; null_arg++) {
    char *credential = NOT_NULL_SENTINEL;
    EXPECT_INVALID(wi_get_integration_credential(ARG(0, client), ARG(1, "github"), ARG(2, &credential), &error),
                   credential_args[null_arg]);
    CHECK(null_arg == 2 || credential == NULL);
  }

  static const char *const env_args[] = {"client", "out_json"};
  for (int null_arg = 0; null_arg < 2; null_arg++) {
    char *json = NOT_NULL_SENTINEL;
    EXPECT_INVALID(wi_get_project_env_vars(ARG(0, client), ARG(1, &json), &error), env_args[null_arg]);
    CHECK(null_arg == 1 || json == NULL);
  }

  static const char *const invalidate_args[] = {"client", "rejected_token"};
  for (int null_arg = 0; null_arg < 2; null_arg++) {
    EXPECT_INVALID(wi_invalidate_token(ARG(0, client), ARG(1, "at_x"), &error), invalidate_args[null_arg]);
  }

  for (int null_arg = 0; null_arg < 2; null_arg++) {
    wi_stats stats;
    memset(&stats, 0xff, sizeof stats);
    stats.struct_size = sizeof stats;
    CHECK(wi_client_stats(ARG(0, client), ARG(1, &stats)) == WI_STATUS_INVALID_ARGUMENT);
    CHECK(null_arg == 1 || (stats.struct_size == sizeof stats && stats.cache_hits == 0 &&
                            stats.server_requests == 0));
  }

  EXPECT_INVALID(wi_client_new(NULL, NULL, &error), "out_client");
  test_passed("every function with each required argument NULL in turn: every other out-parameter reset");
}

static void test_error_accessors_and_frees(void) {
  CHECK(wi_error_status(NULL) == WI_STATUS_INVALID_ARGUMENT);
  CHECK(wi_error_message(NULL) == NULL);
  CHECK(wi_error_http_status(NULL) == 0);
  CHECK(wi_error_oauth_code(NULL) == NULL);
  CHECK(wi_error_retryable(NULL) == false);
  wi_error_free(NULL);
  wi_free_string(NULL);
  wi_options_free(NULL);
  wi_client_free(NULL);
  test_passed("error accessors with NULL; every *_free accepts NULL");
}

int main(void) {
  test_options_set();
  test_failed_set_keeps_options();
  test_client_new();

  wi_client *client = dev_client(DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  test_client_calls(client);
  test_exchange_arguments(client);
  test_every_argument_null_in_turn(client);
  wi_client_free(client);
  test_error_accessors_and_frees();

  /* None of the bad calls reached the server (reset after the one good call). */
  CHECK(dev_request_count("/oauth/token") == 0);
  CHECK(dev_request_count("/oauth/exchange") == 0);
  CHECK(dev_request_count("/outbound/integration") == 0);
  CHECK(dev_request_count("/outbound/env") == 0);
  test_passed("no invalid call sent a request");
  return 0;
}
