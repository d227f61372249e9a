/* test_oauth.c: the authorization server's other endpoints through the C ABI:
 * wi_get_server_metadata (discovery at first need, once), wi_introspect_token,
 * wi_token_is_active (false for every failure, with the reason), wi_revoke_token
 * and wi_register_client, against the dev server; NULL and malformed arguments;
 * out-parameters NULL after any failure. */
#define _POSIX_C_SOURCE 200809L

#include <string.h>
#include <time.h>

#include "harness.h"

#define WELL_KNOWN "/.well-known/oauth-authorization-server"

/* A client of the dev server whose endpoints all come from discovery (option
 * issuer); token_endpoint set empty so that it does not fall back to
 * COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT (with-devserver.sh exports it). */
static wi_client *discovering_client(const char *flow, const char *max_retries) {
  char issuer[128];
  dev_url(issuer, sizeof issuer, "");
  wi_options *options = wi_options_new();
  CHECK_OK(wi_options_set(options, "flow", flow, &check_ok_error));
  CHECK_OK(wi_options_set(options, "client_id", DEV_CLIENT_ID, &check_ok_error));
  CHECK_OK(wi_options_set(options, "client_secret", DEV_CLIENT_SECRET, &check_ok_error));
  CHECK_OK(wi_options_set(options, "issuer", issuer, &check_ok_error));
  CHECK_OK(wi_options_set(options, "token_endpoint", "", &check_ok_error));
  CHECK_OK(wi_options_set(options, "max_retries", max_retries, &check_ok_error));
  CHECK_OK(wi_options_set(options, "timeout_ms", "500", &check_ok_error));
  wi_client *client = NULL;
  CHECK_OK(wi_client_new(options, &client, &check_ok_error));
  wi_options_free(options);
  return client;
}

/* wi_token_is_active, and the status of its error (WI_STATUS_OK when none). */
static bool is_active(const wi_client *client, const char *token, const char *scope,
                      wi_status *error_status) {
  wi_error *error = NOT_NULL_SENTINEL;
  bool active = wi_token_is_active(client, token, scope, &error);
  *error_status = error == NULL ? WI_STATUS_OK : wi_error_status(error);
  if (error != NULL) {
    CHECK(!active);
    CHECK(wi_error_message(error) != NULL && !contains(wi_error_message(error), token && *token ? token : "\x01"));
  }
  wi_error_free(error);
  return active;
}

static void test_discovery(void) {
  wi_client *client = discovering_client("client_credentials", "2");
  CHECK(dev_request_count(WELL_KNOWN) == 0); /* nothing at wi_client_new */
  char *json = NOT_NULL_SENTINEL;
  CHECK_OK(wi_get_server_metadata(client, &json, &check_ok_error));
  char issuer[160];
  dev_url(issuer, sizeof issuer, "");
  char member[200];
  snprintf(member, sizeof member, "\"issuer\":\"%s\"", issuer);
  CHECK(contains(json, member));
  CHECK(contains(json, "/oauth2/introspect"));
  wi_free_string(json);
  char *token = NULL;
  CHECK_OK(wi_get_access_token(client, &token, &check_ok_error));
  wi_free_string(token);
  CHECK(dev_request_count(WELL_KNOWN) == 1);
  CHECK(dev_request_count("/oauth2/token") == 1);

  wi_error *error = NULL;
  json = NOT_NULL_SENTINEL;
  CHECK(wi_get_server_metadata(NULL, &json, &error) == WI_STATUS_INVALID_ARGUMENT);
  CHECK(json == NULL);
  wi_error_free(error);
  CHECK(wi_get_server_metadata(client, NULL, NULL) == WI_STATUS_INVALID_ARGUMENT);
  wi_client_free(client);

  /* No issuer: a configuration error. */
  wi_client *plain = dev_client(DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  json = NOT_NULL_SENTINEL;
  wi_status status = wi_get_server_metadata(plain, &json, &error);
  CHECK(json == NULL);
  check_failure(status, error, WI_STATUS_CONFIGURATION, 0, NULL, false, NULL, NULL);
  wi_client_free(plain);
  test_passed("discovery: at first need, once; metadata as sent; NULL arguments");
}

static void test_bad_metadata(void) {
  /* A fresh identity (another flow is another identity): nothing discovered yet. */
  wi_client *client = discovering_client("none", "0");
  dev_control("faults", "{\"path\":\"" WELL_KNOWN "\",\"set\":{\"issuer\":\"http://127.0.0.1:1\"}}");
  char *json = NOT_NULL_SENTINEL;
  wi_error *error = NULL;
  wi_status status = wi_get_server_metadata(client, &json, &error);
  CHECK(json == NULL);
  CHECK_ERR(contains(wi_error_message(error), "3.3"), error);
  check_failure(status, error, WI_STATUS_OAUTH_OPERATION, 200, NULL, false, NULL, NULL);
  wi_client_free(client);
  test_passed("discovery: a document naming another issuer is WI_STATUS_OAUTH_OPERATION");
}

static void test_introspection_and_revocation(void) {
  wi_client *client = discovering_client("client_credentials", "0");
  char *token = NULL;
  CHECK_OK(wi_get_access_token(client, &token, &check_ok_error));
  char *json = NOT_NULL_SENTINEL;
  CHECK_OK(wi_introspect_token(client, token, "access_token", &json, &check_ok_error));
  CHECK(contains(json, "\"active\":true"));
  CHECK(contains(json, "\"client_id\":\"" DEV_CLIENT_ID "\""));
  wi_free_string(json);

  wi_status error_status;
  CHECK(is_active(client, token, NULL, &error_status) && error_status == WI_STATUS_OK);
  CHECK(!is_active(client, token, "admin", &error_status) && error_status == WI_STATUS_OK);
  CHECK(!is_active(client, "unknown-token", NULL, &error_status) && error_status == WI_STATUS_OK);

  /* Every failure: false, with the reason. */
  dev_control("faults", "{\"path\":\"/oauth2/introspect\",\"status\":500}");
  CHECK(!is_active(client, token, NULL, &error_status) && error_status == WI_STATUS_OAUTH_OPERATION);
  dev_control("faults", "{\"path\":\"/oauth2/introspect\",\"kind\":\"malformed_json\"}");
  CHECK(!is_active(client, token, NULL, &error_status) && error_status == WI_STATUS_OAUTH_OPERATION);
  dev_control("faults", "{\"path\":\"/oauth2/introspect\",\"set\":{\"active\":\"true\"}}");
  CHECK(!is_active(client, token, NULL, &error_status) && error_status == WI_STATUS_OAUTH_OPERATION);
  dev_control("faults", "{\"path\":\"/oauth2/introspect\",\"delay_ms\":1500}");
  CHECK(!is_active(client, token, NULL, &error_status) && error_status == WI_STATUS_OAUTH_OPERATION);
  CHECK(!is_active(NULL, token, NULL, &error_status) && error_status == WI_STATUS_INVALID_ARGUMENT);
  CHECK(!is_active(client, NULL, NULL, &error_status) && error_status == WI_STATUS_INVALID_ARGUMENT);
  CHECK(!is_active(client, "", NULL, &error_status) && error_status == WI_STATUS_INVALID_ARGUMENT);
  CHECK(!is_active(client, "\xff\xfe", NULL, &error_status) && error_status == WI_STATUS_INVALID_ARGUMENT);
  CHECK(!is_active(client, token, "", &error_status) && error_status == WI_STATUS_INVALID_ARGUMENT);
  CHECK(!wi_token_is_active(client, token, "", NULL)); /* out_error NULL is allowed */

  /* wi_introspect_token failures reset out_json. */
  wi_error *error = NULL;
  dev_control("faults", "{\"path\":\"/oauth2/introspect\",\"remove\":[\"active\"]}");
  json = NOT_NULL_SENTINEL;
  wi_status status = wi_introspect_token(client, token, NULL, &json, &error);
  CHECK(json == NULL);
  check_failure(status, error, WI_STATUS_OAUTH_OPERATION, 200, NULL, false, NULL, token);
  json = NOT_NULL_SENTINEL;
  status = wi_introspect_token(client, NULL, NULL, &json, &error);
  CHECK(json == NULL);
  check_failure(status, error, WI_STATUS_INVALID_ARGUMENT, 0, NULL, false, NULL, NULL);

  /* Revocation: dead at the server, gone from the cache. */
  CHECK_OK(wi_revoke_token(client, token, "access_token", &check_ok_error));
  CHECK(!is_active(client, token, NULL, &error_status) && error_status == WI_STATUS_OK);
  char *peeked = NOT_NULL_SENTINEL;
  CHECK(!wi_peek_access_token(client, &peeked) && peeked == NULL);
  dev_control("faults", "{\"path\":\"/oauth2/revoke\",\"status\":503}");
  status = wi_revoke_token(client, token, NULL, &error);
  check_failure(status, error, WI_STATUS_OAUTH_OPERATION, 503, "injected_fault", true, NULL, token);
  status = wi_revoke_token(client, NULL, NULL, &error);
  check_failure(status, error, WI_STATUS_INVALID_ARGUMENT, 0, NULL, false, NULL, NULL);
  CHECK(wi_revoke_token(NULL, token, NULL, NULL) == WI_STATUS_INVALID_ARGUMENT);
  wi_free_string(token);
  wi_client_free(client);

  /* Server down: false, retryable. */
  char closed[128];
  snprintf(closed, sizeof closed, "http://127.0.0.1:%d/introspect", closed_port());
  wi_options *options = wi_options_new();
  CHECK_OK(wi_options_set(options, "flow", "none", &check_ok_error));
  CHECK_OK(wi_options_set(options, "introspection_endpoint", closed, &check_ok_error));
  CHECK_OK(wi_options_set(options, "max_retries", "0", &check_ok_error));
  wi_client *down = NULL;
  CHECK_OK(wi_client_new(options, &down, &check_ok_error));
  wi_options_free(options);
  error = NULL;
  CHECK(!wi_token_is_active(down, "some-token", NULL, &error));
  check_failure(WI_STATUS_OAUTH_OPERATION, error, WI_STATUS_OAUTH_OPERATION, 0, NULL, true, NULL,
                "some-token");
  wi_client_free(down);
  test_passed("introspection and the fail-safe check; revocation");
}

static void test_registration(void) {
  wi_client *client = discovering_client("none", "2");
  /* The identity of test_bad_metadata: its failed fetch is remembered for a second. */
  struct timespec backoff = {1, 100 * 1000 * 1000};
  nanosleep(&backoff, NULL);
  char *json = NOT_NULL_SENTINEL;
  wi_error *error = NULL;
  long before = dev_request_count("/oauth2/register");
  const char *not_objects[] = {"[]", "\"x\"", "{", "", "null"};
  for (size_t i = 0; i < sizeof not_objects / sizeof *not_objects; i++) {
    json = NOT_NULL_SENTINEL;
    wi_status status = wi_register_client(client, not_objects[i], &json, &error);
    CHECK(json == NULL);
    check_failure(status, error, WI_STATUS_INVALID_ARGUMENT, 0, NULL, false, NULL, NULL);
  }
  json = NOT_NULL_SENTINEL;
  wi_status status = wi_register_client(client, NULL, &json, &error);
  CHECK(json == NULL);
  check_failure(status, error, WI_STATUS_INVALID_ARGUMENT, 0, NULL, false, NULL, NULL);
  CHECK(dev_request_count("/oauth2/register") == before);

  CHECK_OK(wi_register_client(client, "{\"client_name\":\"c-test\",\"grant_types\":[\"client_credentials\"]}",
                              &json, &check_ok_error));
  CHECK(contains(json, "\"client_id\":\"reg_"));
  CHECK(contains(json, "\"client_secret\":\""));
  /* The new client gets a token: pick client_id and client_secret out of the answer. */
  char client_id[64] = {0}, client_secret[80] = {0};
  const char *id = strstr(json, "\"client_id\":\"") + strlen("\"client_id\":\"");
  const char *secret = strstr(json, "\"client_secret\":\"") + strlen("\"client_secret\":\"");
  memcpy(client_id, id, (size_t)(strchr(id, '"') - id));
  memcpy(client_secret, secret, (size_t)(strchr(secret, '"') - secret));
  wi_free_string(json);
  char token_endpoint[128];
  dev_url(token_endpoint, sizeof token_endpoint, "/oauth2/token");
  wi_options *options = wi_options_new();
  CHECK_OK(wi_options_set(options, "flow", "client_credentials", &check_ok_error));
  CHECK_OK(wi_options_set(options, "client_id", client_id, &check_ok_error));
  CHECK_OK(wi_options_set(options, "client_secret", client_secret, &check_ok_error));
  CHECK_OK(wi_options_set(options, "client_auth", "client_secret_basic", &check_ok_error));
  CHECK_OK(wi_options_set(options, "token_endpoint", token_endpoint, &check_ok_error));
  wi_client *registered = NULL;
  CHECK_OK(wi_client_new(options, &registered, &check_ok_error));
  wi_options_free(options);
  char *token = NULL;
  CHECK_OK(wi_get_access_token(registered, &token, &check_ok_error));
  wi_free_string(token);
  wi_client_free(registered);

  /* A refusal: never retried. */
  dev_control("config", "{\"registration_token\":\"expected\"}");
  before = dev_request_count("/oauth2/register");
  json = NOT_NULL_SENTINEL;
  status = wi_register_client(client, "{}", &json, &error);
  CHECK(json == NULL);
  check_failure(status, error, WI_STATUS_OAUTH_OPERATION, 401, "invalid_token", false, NULL, NULL);
  CHECK(dev_request_count("/oauth2/register") == before + 1);
  CHECK(wi_register_client(NULL, "{}", &json, NULL) == WI_STATUS_INVALID_ARGUMENT && json == NULL);
  wi_client_free(client);
  test_passed("registration: JSON object checked first, new client gets a token, no retry");
}

int main(void) {
  test_discovery();
  test_bad_metadata();
  test_introspection_and_revocation();
  test_registration();
  return 0;
}
