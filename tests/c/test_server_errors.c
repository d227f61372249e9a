/* test_server_errors.c: failures that come from the server or the network,
 * with their status, HTTP status, OAuth code and retryable flag: a wrong
 * secret, faults injected on each endpoint through /_dev/faults, business
 * errors of the outbound API, and an endpoint on a closed port. Each test uses
 * its own client id (registered with the dev server), so no cached token of
 * one test hides the failure of another. */
#define _POSIX_C_SOURCE 200809L

#include <string.h>

#include "harness.h"

/* A client for `client_id` (secret "secret-<client_id>") with `max_retries`. */
static wi_client *isolated_client(const char *client_id, const char *max_retries) {
  char secret[128];
  snprintf(secret, sizeof secret, "secret-%s", client_id);
  wi_options *options = dev_client_options(client_id, secret);
  CHECK_OK(wi_options_set(options, "max_retries", max_retries, &check_ok_error));
  wi_client *client = NULL;
  CHECK_OK(wi_client_new(options, &client, &check_ok_error));
  wi_options_free(options);
  return client;
}

/* Calls wi_get_access_token, requires it to fail, and returns the error (out-parameter checked). */
static wi_status failing_access_token(const wi_client *client, wi_error **error) {
  char *token = NOT_NULL_SENTINEL;
  wi_status status = wi_get_access_token(client, &token, error);
  CHECK(token == NULL);
  return status;
}

static void test_wrong_secret(void) {
  wi_client *client = dev_client(DEV_CLIENT_ID, "wrong-secret");
  wi_error *error = NULL;
  wi_status status = failing_access_token(client, &error);
  check_failure(status, error, WI_STATUS_TOKEN_RETRIEVAL, 401, "invalid_client", false,
                "wrong-secret", NULL);
  /* A client error is not retried. */
  CHECK(dev_request_count("/oauth/token") == 1);
  CHECK(dev_request_count("/oauth/exchange") == 0);
  /* out_error NULL is allowed on failure; the failure is remembered (no new request). */
  char *token = NOT_NULL_SENTINEL;
  CHECK(wi_get_access_token(client, &token, NULL) == WI_STATUS_TOKEN_RETRIEVAL);
  CHECK(token == NULL);
  CHECK(dev_request_count("/oauth/token") == 1);
  /* The lease and buffer variants fail the same way, with a zero lease and length. */
  uint32_t lease_ms = UINT32_MAX;
  token = NOT_NULL_SENTINEL;
  wi_status lease_status = wi_get_access_token_lease(client, &token, &lease_ms, &error);
  CHECK(token == NULL && lease_ms == 0);
  check_failure(lease_status, error, WI_STATUS_TOKEN_RETRIEVAL, 401, "invalid_client", false,
                "wrong-secret", NULL);
  char buffer[64] = "untouched";
  size_t length = SIZE_MAX;
  wi_status into_status = wi_get_access_token_into(client, buffer, sizeof buffer, &length, &error);
  CHECK(length == 0 && buffer[0] == '\0');
  check_failure(into_status, error, WI_STATUS_TOKEN_RETRIEVAL, 401, "invalid_client", false,
                "wrong-secret", NULL);
  wi_client_free(client);
  test_passed("wrong secret: TOKEN_RETRIEVAL, HTTP 401, invalid_client, not retryable");
}

static void test_exchange_fault(void) {
  wi_client *client = isolated_client("exchange-fault", "2");
  dev_control("faults", "{\"path\":\"/oauth/exchange\",\"status\":400,"
                        "\"body\":{\"error\":\"invalid_grant\",\"error_description\":\"subject token rejected\"}}");
  wi_error *error = NULL;
  wi_status status = failing_access_token(client, &error);
  CHECK_ERR(contains(wi_error_message(error), "invalid_grant"), error);
  check_failure(status, error, WI_STATUS_TOKEN_EXCHANGE, 400, "invalid_grant", false,
                "secret-exchange-fault", NULL);

  /* A non-recoverable failure is remembered for a few seconds: no new request. */
  long exchanges = dev_request_count("/oauth/exchange");
  status = failing_access_token(client, &error);
  check_failure(status, error, WI_STATUS_TOKEN_EXCHANGE, 400, "invalid_grant", false, NULL, NULL);
  CHECK(dev_request_count("/oauth/exchange") == exchanges);

  /* wi_force_refresh asks again at once; the fault is used up, so it succeeds. */
  char *token = NULL;
  CHECK_OK(wi_force_refresh(client, &token, &check_ok_error));
  wi_free_string(token);
  CHECK(dev_request_count("/oauth/exchange") == exchanges + 1);
  wi_client_free(client);
  test_passed("step 2 fault (400 invalid_grant): TOKEN_EXCHANGE, not retryable, remembered");
}

static void test_general_exchange_rejected(void) {
  wi_client *client = isolated_client("general-exchange", "2");
  wi_exchange_params params = {.subject_token = "at_not_issued_by_this_server", .audience = "demo-audience"};
  char *token = NOT_NULL_SENTINEL;
  wi_error *error = NULL;
  wi_status status = wi_exchange_token(client, &params, &token, &error);
  CHECK(token == NULL);
  check_failure(status, error, WI_STATUS_TOKEN_EXCHANGE, 400, "invalid_grant", false,
                "secret-general-exchange", "at_not_issued_by_this_server");
  wi_client_free(client);
  test_passed("wi_exchange_token with an unknown subject token: TOKEN_EXCHANGE, invalid_grant");
}

static void test_server_unavailable(void) {
  /* Without retries: a 5xx (here with a body that is not JSON) is reported as retryable. */
  wi_client *client = isolated_client("no-retries", "0");
  dev_control("faults", "{\"path\":\"/oauth/token\",\"status\":503,\"body\":\"Service Unavailable\"}");
  wi_error *error = NULL;
  wi_status status = failing_access_token(client, &error);
  check_failure(status, error, WI_STATUS_TOKEN_RETRIEVAL, 503, NULL, true, "secret-no-retries", NULL);
  dev_control("faults", "{\"path\":\"/oauth/exchange\",\"status\":500,\"body\":\"<html>oops</html>\"}");
  status = failing_access_token(client, &error);
  check_failure(status, error, WI_STATUS_TOKEN_EXCHANGE, 500, NULL, true, "secret-no-retries", NULL);
  wi_client_free(client);

  /* With retries: one 503 is absorbed. */
  client = isolated_client("with-retries", "2");
  long before = dev_request_count("/oauth/token");
  dev_control("faults", "{\"path\":\"/oauth/token\",\"status\":503}");
  char *token = NULL;
  CHECK_OK(wi_get_access_token(client, &token, &check_ok_error));
  wi_free_string(token);
  CHECK(dev_request_count("/oauth/token") == before + 2);
  CHECK(client_stats(client).retries >= 1);
  wi_client_free(client);
  test_passed("5xx: retryable TOKEN_RETRIEVAL/TOKEN_EXCHANGE without retries, absorbed with them");
}

static void test_integration_errors(void) {
  wi_client *client = isolated_client("integrations", "0");
  char *credential = NOT_NULL_SENTINEL;
  wi_error *error = NULL;

  /* A business error: HTTP 200 with a non-zero code. */
  wi_status status = wi_get_integration_credential(client, "no-such-integration", &credential, &error);
  CHECK(credential == NULL);
  CHECK_ERR(contains(wi_error_message(error), "1001"), error);
  CHECK_ERR(contains(wi_error_message(error), "integration not found"), error);
  check_failure(status, error, WI_STATUS_INTEGRATION, 200, NULL, false, "secret-integrations", NULL);

  /* A server error. */
  dev_control("faults", "{\"path\":\"/outbound/integration\",\"status\":500,"
                        "\"body\":{\"code\":500,\"msg\":\"backend exploded\"}}");
  credential = NOT_NULL_SENTINEL;
  status = wi_get_integration_credential(client, "github", &credential, &error);
  CHECK(credential == NULL);
  CHECK_ERR(contains(wi_error_message(error), "backend exploded"), error);
  check_failure(status, error, WI_STATUS_INTEGRATION, 500, NULL, true, "secret-integrations", NULL);

  /* The env-var API: a business error, then a body that is not JSON. */
  dev_control("faults", "{\"path\":\"/outbound/env\",\"status\":200,\"body\":{\"code\":5000,\"msg\":\"busy\"}}");
  char *json = NOT_NULL_SENTINEL;
  status = wi_get_project_env_vars(client, &json, &error);
  CHECK(json == NULL);
  CHECK_ERR(contains(wi_error_message(error), "busy"), error);
  CHECK_ERR(status == WI_STATUS_INTEGRATION && wi_error_status(error) == WI_STATUS_INTEGRATION, error);
  wi_error_free(error);
  dev_control("faults", "{\"path\":\"/outbound/env\",\"kind\":\"malformed_json\"}");
  json = NOT_NULL_SENTINEL;
  status = wi_get_project_env_vars(client, &json, &error);
  CHECK(json == NULL);
  CHECK_ERR(status == WI_STATUS_INTEGRATION && wi_error_status(error) == WI_STATUS_INTEGRATION, error);
  wi_error_free(error);

  /* A 401 from the outbound API drops the access token and retries once with a new one. */
  char *token = NULL;
  CHECK_OK(wi_get_access_token(client, &token, &check_ok_error));
  long exchanges = dev_request_count("/oauth/exchange");
  dev_control("faults", "{\"path\":\"/outbound/integration\",\"status\":401,"
                        "\"body\":{\"code\":401,\"msg\":\"invalid or expired access token\"}}");
  CHECK_OK(wi_get_integration_credential(client, "github", &credential, &check_ok_error));
  CHECK(strcmp(credential, "ghp_dev_github_credential") == 0);
  wi_free_string(credential);
  CHECK(dev_request_count("/oauth/exchange") == exchanges + 1);
  char *renewed = NULL;
  CHECK_OK(wi_get_access_token(client, &renewed, &check_ok_error));
  CHECK(strcmp(renewed, token) != 0);
  wi_free_string(renewed);
  wi_free_string(token);
  wi_client_free(client);
  test_passed("INTEGRATION: business errors, 500, malformed JSON; a 401 renews the token once");
}

static void test_unreachable_server(void) {
  char url[128];
  int port = closed_port();
  wi_options *options = dev_client_options("unreachable", "secret-unreachable");
  snprintf(url, sizeof url, "http://127.0.0.1:%d/oauth/token", port);
  CHECK_OK(wi_options_set(options, "token_endpoint", url, &check_ok_error));
  CHECK_OK(wi_options_set(options, "connect_timeout_ms", "2000", &check_ok_error));
  wi_client *client = NULL;
  CHECK_OK(wi_client_new(options, &client, &check_ok_error));
  wi_options_free(options);

  wi_error *error = NULL;
  wi_status status = failing_access_token(client, &error);
  check_failure(status, error, WI_STATUS_TOKEN_RETRIEVAL, 0, NULL, true, "secret-unreachable", NULL);
  CHECK(client_stats(client).retries == 2); /* the default max_retries */

  /* The outbound calls need the token first: the same failure class. */
  char *credential = NOT_NULL_SENTINEL;
  status = wi_get_integration_credential(client, "github", &credential, &error);
  CHECK(credential == NULL);
  check_failure(status, error, WI_STATUS_TOKEN_RETRIEVAL, 0, NULL, true, "secret-unreachable", NULL);
  wi_client_free(client);
  test_passed("closed port: TOKEN_RETRIEVAL, no HTTP status, retryable, retried twice");
}

int main(void) {
  dev_control("config",
              "{\"clients\":[[\"exchange-fault\",\"secret-exchange-fault\"],"
              "[\"general-exchange\",\"secret-general-exchange\"],[\"no-retries\",\"secret-no-retries\"],"
              "[\"with-retries\",\"secret-with-retries\"],[\"integrations\",\"secret-integrations\"]]}");
  test_wrong_secret();
  test_exchange_fault();
  test_general_exchange_rejected();
  test_server_unavailable();
  test_integration_errors();
  test_unreachable_server();
  return 0;
}
