/* test_configuration.c: WI_STATUS_CONFIGURATION. With every COZE_* variable
 * removed from the environment, wi_client_new(NULL) names every missing
 * required variable at once; empty values count as missing; options fill the
 * gaps; malformed values from the environment and an absent outbound endpoint
 * are configuration errors too. */
#define _POSIX_C_SOURCE 200809L

#include <string.h>

#include "harness.h"


static const char *const required_variables[] = {
    "COZE_WORKLOAD_IDENTITY_CLIENT_ID",
    "COZE_WORKLOAD_IDENTITY_CLIENT_SECRET",
    "COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT",
    "COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT",
};
#define REQUIRED_COUNT (sizeof required_variables / sizeof required_variables[0])

/* Sets the four required variables for the dev server. */
static void set_required_environment(void) {
  char url[128];
  CHECK(setenv("COZE_WORKLOAD_IDENTITY_CLIENT_ID", DEV_CLIENT_ID, 1) == 0);
  CHECK(setenv("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET", DEV_CLIENT_SECRET, 1) == 0);
  dev_url(url, sizeof url, "/oauth/token");
  CHECK(setenv("COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT", url, 1) == 0);
  dev_url(url, sizeof url, "/oauth/exchange");
  CHECK(setenv("COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT", url, 1) == 0);
}

/* wi_client_new(options) must fail with CONFIGURATION, naming exactly the variables in `missing`. */
static void expect_missing(const wi_options *options, const bool missing[REQUIRED_COUNT]) {
  wi_client *client = NOT_NULL_SENTINEL;
  wi_error *error = NULL;
  wi_status status = wi_client_new(options, &client, &error);
  CHECK(client == NULL);
  const char *message = wi_error_message(error);
  for (size_t i = 0; i < REQUIRED_COUNT; i++) {
    if (contains(message, required_variables[i]) != missing[i]) {
      fprintf(stderr, "%s should %sbe named\n", required_variables[i], missing[i] ? "" : "not ");
    }
    CHECK_ERR(contains(message, required_variables[i]) == missing[i], error);
  }
  CHECK_ERR(!contains(message, DEV_CLIENT_SECRET), error);
  check_failure(status, error, WI_STATUS_CONFIGURATION, 0, NULL, false, NULL, NULL);
}

static void test_cleared_environment(void) {
  const bool all[REQUIRED_COUNT] = {true, true, true, true};
  expect_missing(NULL, all);
  CHECK(wi_client_new(NULL, &(wi_client *){NULL}, NULL) == WI_STATUS_CONFIGURATION);

  wi_options *options = wi_options_new();
  expect_missing(options, all); /* empty options fall back to the (empty) environment */
  wi_options_free(options);
  test_passed("cleared environment: CONFIGURATION naming all four required COZE_* variables");
}

static void test_partial_and_empty(void) {
  /* Empty values count as missing. */
  CHECK(setenv("COZE_WORKLOAD_IDENTITY_CLIENT_ID", "", 1) == 0);
  CHECK(setenv("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET", DEV_CLIENT_SECRET, 1) == 0);
  const bool all_but_secret[REQUIRED_COUNT] = {true, false, true, true};
  expect_missing(NULL, all_but_secret);

  /* Options fill some gaps, the environment others. */
  wi_options *options = wi_options_new();
  CHECK_OK(wi_options_set(options, "client_id", DEV_CLIENT_ID, &check_ok_error));
  char url[128];
  dev_url(url, sizeof url, "/oauth/token");
  CHECK_OK(wi_options_set(options, "token_endpoint", url, &check_ok_error));
  const bool only_access_endpoint[REQUIRED_COUNT] = {false, false, false, true};
  expect_missing(options, only_access_endpoint);

  /* An empty option value counts as missing too. */
  CHECK_OK(wi_options_set(options, "client_id", "", &check_ok_error));
  const bool id_and_access_endpoint[REQUIRED_COUNT] = {true, false, false, true};
  expect_missing(options, id_and_access_endpoint);
  wi_options_free(options);
  clear_coze_environment();
  test_passed("empty values count as missing; options and environment combine");
}

/* Options alone configure a working client in an empty environment. */
static void test_options_only(void) {
  wi_options *options = dev_client_options(DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  wi_client *client = NULL;
  CHECK_OK(wi_client_new(options, &client, &check_ok_error));
  wi_options_free(options);
  char *token = NULL;
  CHECK_OK(wi_get_access_token(client, &token, &check_ok_error));
  CHECK(strncmp(token, "at_", 3) == 0);
  wi_free_string(token);
  wi_client_free(client);
  test_passed("options alone configure a client in an empty environment");
}

/* The environment's values are validated as option values are. */
static void test_malformed_environment(void) {
  set_required_environment();
  CHECK(setenv("COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT", "not a url", 1) == 0);
  wi_client *client = NOT_NULL_SENTINEL;
  wi_error *error = NULL;
  wi_status status = wi_client_new(NULL, &client, &error);
  CHECK(client == NULL);
  check_failure(status, error, WI_STATUS_CONFIGURATION, 0, NULL, false, DEV_CLIENT_SECRET, NULL);

  /* Plain http to a host that is not loopback would send the secret in clear text. */
  CHECK(setenv("COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT", "http://identity.example.com/oauth/token", 1) == 0);
  client = NOT_NULL_SENTINEL;
  status = wi_client_new(NULL, &client, &error);
  CHECK(client == NULL);
  CHECK_ERR(contains(wi_error_message(error), "allow_insecure_http"), error);
  check_failure(status, error, WI_STATUS_CONFIGURATION, 0, NULL, false, DEV_CLIENT_SECRET, NULL);
  clear_coze_environment();
  test_passed("malformed endpoints from the environment: CONFIGURATION");
}

/* Without an outbound endpoint the token works but the outbound calls cannot. */
static void test_missing_outbound_endpoint(void) {
  set_required_environment();
  wi_client *client = NULL;
  CHECK_OK(wi_client_new(NULL, &client, &check_ok_error));
  char *out = NOT_NULL_SENTINEL;
  wi_error *error = NULL;
  wi_status status = wi_get_integration_credential(client, "github", &out, &error);
  CHECK(out == NULL);
  CHECK_ERR(contains(wi_error_message(error), "COZE_OUTBOUND_AUTH_ENDPOINT"), error);
  check_failure(status, error, WI_STATUS_CONFIGURATION, 0, NULL, false, DEV_CLIENT_SECRET, NULL);

  out = NOT_NULL_SENTINEL;
  status = wi_get_project_env_vars(client, &out, &error);
  CHECK(out == NULL);
  CHECK_ERR(contains(wi_error_message(error), "COZE_OUTBOUND_AUTH_ENDPOINT"), error);
  check_failure(status, error, WI_STATUS_CONFIGURATION, 0, NULL, false, DEV_CLIENT_SECRET, NULL);
  wi_client_free(client);
  clear_coze_environment();
  test_passed("no outbound endpoint: the outbound calls give CONFIGURATION naming it");
}

int main(void) {
  clear_coze_environment();
  test_cleared_environment();
  test_partial_and_empty();
  test_options_only();
  test_malformed_environment();
  test_missing_outbound_endpoint();
  return 0;
}
