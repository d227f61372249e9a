/* test_happy_path.c: every function of the header doing its job against the
 * dev server: options, clients (from options and from the environment), the
 * access token and its cache, the general exchange, integration credentials,
 * project env vars, invalidation, forced refresh, stats and the log callback. */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "harness.h"

#define TOKEN_TYPE_ACCESS "urn:ietf:params:oauth:token-type:access_token"
#define TOKEN_TYPE_JWT "urn:ietf:params:oauth:token-type:jwt"

/* Returns a copy of a library string (checked to start with "at_") and frees the original. */
static char *take_token(char *token) {
  CHECK(token != NULL);
  CHECK(strncmp(token, "at_", 3) == 0);
  char *copy = strdup(token);
  CHECK(copy != NULL);
  wi_free_string(token);
  return copy;
}

/* The recorded requests of the dev server, as its JSON document (caller frees). */
static char *recorded_requests(void) {
  size_t size = 1 << 16;
  char *requests = malloc(size);
  CHECK(requests != NULL);
  CHECK(dev_request("GET", "/_dev/requests", NULL, requests, size) == 200);
  return requests;
}

static void test_options(void) {
  wi_options *options = dev_client_options(DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  const char *settings[][2] = {
      {"timeout_ms", "10000"},      {"connect_timeout_ms", "2000"}, {"deadline_ms", "30000"},
      {"expiry_buffer_s", "60"},    {"max_retries", "2"},           {"user_agent", "wi-c-tests/1"},
      {"client_auth", "client_id"}, {"allow_insecure_http", "false"}, {"server_env", "NONE"},
  };
  for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
    wi_error *error = NOT_NULL_SENTINEL;
    CHECK_ERR(wi_options_set(options, settings[i][0], settings[i][1], &error) == WI_STATUS_OK, error);
    CHECK(error == NULL); /* success leaves *out_error NULL */
  }
  /* A NULL value removes the key again; removing an unset key is fine too. */
  CHECK_OK(wi_options_set(options, "proxy", "http://127.0.0.1:9", &check_ok_error));
  CHECK_OK(wi_options_set(options, "proxy", NULL, &check_ok_error));
  CHECK_OK(wi_options_set(options, "ca_bundle_path", NULL, &check_ok_error));
  /* out_error NULL is allowed on success too. */
  CHECK(wi_options_set(options, "max_retries", "1", NULL) == WI_STATUS_OK);

  wi_client *client = NULL;
  CHECK_OK(wi_client_new(options, &client, &check_ok_error));
  wi_options_free(options); /* the client does not depend on the options */
  CHECK(client != NULL);
  wi_client_free(client);
  test_passed("wi_options_new, wi_options_set (every kind of key, NULL value), wi_options_free");
}

/* The first call fetches (ID token + exchange = 2 requests), the second is a cache hit. */
static char *test_access_token_and_cache(const wi_client *client) {
  wi_stats before = client_stats(client);
  CHECK(before.server_requests == 0);

  char *token = NULL;
  CHECK_OK(wi_get_access_token(client, &token, &check_ok_error));
  char *first = take_token(token);
  wi_stats after_first = client_stats(client);
  CHECK(after_first.server_requests == 2);
  CHECK(after_first.cache_misses >= 1);
  CHECK(after_first.refreshes_succeeded == 1);

  token = NULL;
  CHECK_OK(wi_get_access_token(client, &token, &check_ok_error));
  char *second = take_token(token);
  CHECK(strcmp(first, second) == 0);
  wi_stats after_second = client_stats(client);
  CHECK(after_second.server_requests == 2);
  CHECK(after_second.cache_hits >= after_first.cache_hits + 1);
  CHECK(dev_request_count("/oauth/token") == 1);
  CHECK(dev_request_count("/oauth/exchange") == 1);
  free(second);

  /* The user_agent option reached the wire. */
  char *requests = recorded_requests();
  CHECK(contains(requests, "\"user-agent\":\"wi-c-tests/1\""));
  free(requests);
  test_passed("wi_get_access_token twice: the second from the cache (server_requests == 2)");
  return first;
}

/* The lease and caller-buffer variants serve the cached token without a request. */
static void test_access_token_lease_and_buffer(const wi_client *client, const char *cached) {
  uint64_t requests = client_stats(client).server_requests;

  char *token = NOT_NULL_SENTINEL;
  uint32_t lease_ms = UINT32_MAX;
  wi_error *error = NOT_NULL_SENTINEL;
  CHECK_ERR(wi_get_access_token_lease(client, &token, &lease_ms, &error) == WI_STATUS_OK, error);
  CHECK(error == NULL);
  CHECK(strcmp(token, cached) == 0);
  CHECK(lease_ms > 0 && lease_ms <= 1000); /* a fresh token: reusable, for at most a second */
  wi_free_string(token);

  char buffer[64];
  size_t length = 0;
  CHECK_OK(wi_get_access_token_into(client, buffer, sizeof buffer, &length, &check_ok_error));
  CHECK(length == strlen(cached) && strcmp(buffer, cached) == 0);

  /* Asking for the size first: no buffer, then one of exactly the size needed. */
  size_t needed = 0;
  CHECK(wi_get_access_token_into(client, NULL, 0, &needed, NULL) == WI_STATUS_INVALID_ARGUMENT);
  CHECK(needed == strlen(cached));
  char *exact = malloc(needed + 1);
  CHECK(exact != NULL);
  CHECK_OK(wi_get_access_token_into(client, exact, needed + 1, &length, &check_ok_error));
  CHECK(length == needed && strcmp(exact, cached) == 0);
  free(exact);

  /* One byte short (no room for the NUL): the size needed, an empty buffer. */
  memset(buffer, 'x', sizeof buffer);
  length = 0;
  error = NULL;
  wi_status status = wi_get_access_token_into(client, buffer, strlen(cached), &length, &error);
  CHECK(length == strlen(cached));
  CHECK(buffer[0] == '\0');
  check_failure(status, error, WI_STATUS_INVALID_ARGUMENT, 0, NULL, false, NULL, cached);
  memset(buffer, 0, sizeof buffer);

  CHECK(client_stats(client).server_requests == requests);
  test_passed("wi_get_access_token_lease and wi_get_access_token_into serve the cached token");
}

/* A client of the same identity built from the environment shares the cache entry. */
static void test_client_from_environment(const char *cached_token) {
  wi_client *client = NULL;
  wi_error *error = NOT_NULL_SENTINEL;
  CHECK_ERR(wi_client_new(NULL, &client, &error) == WI_STATUS_OK, error);
  CHECK(error == NULL);
  char *token = NULL;
  CHECK_OK(wi_get_access_token(client, &token, &check_ok_error));
  CHECK(strcmp(token, cached_token) == 0);
  wi_free_string(token);
  CHECK(client_stats(client).server_requests == 2);
  wi_client_free(client);
  test_passed("wi_client_new(NULL) reads COZE_* and shares the identity's cached token");
}

static void test_exchange_with_every_parameter(const wi_client *client, const char *access_token) {
  dev_control("reset", "{}");
  wi_exchange_params params = {
      .subject_token = access_token,
      .subject_token_type = TOKEN_TYPE_ACCESS,
      .audience = "demo-audience",
      .resource = "https://api.example.test/resource",
      .scope = "read write",
      .requested_token_type = TOKEN_TYPE_JWT,
      .actor_token = "actor-assertion",
      .actor_token_type = TOKEN_TYPE_JWT,
  };
  char *exchanged = NULL;
  CHECK_OK(wi_exchange_token(client, &params, &exchanged, &check_ok_error));
  exchanged = take_token(exchanged);
  CHECK(strcmp(exchanged, access_token) != 0);
  free(exchanged);

  char *requests = recorded_requests();
  const char *expected_form[] = {
      "\"grant_type\":\"urn:ietf:params:oauth:grant-type:token-exchange\"",
      "\"client_id\":\"" DEV_CLIENT_ID "\"",
      "\"subject_token_type\":\"" TOKEN_TYPE_ACCESS "\"",
      "\"audience\":\"demo-audience\"",
      "\"resource\":\"https://api.example.test/resource\"",
      "\"scope\":\"read write\"",
      "\"requested_token_type\":\"" TOKEN_TYPE_JWT "\"",
      "\"actor_token\":\"actor-assertion\"",
      "\"actor_token_type\":\"" TOKEN_TYPE_JWT "\"",
  };
  for (size_t i = 0; i < sizeof expected_form / sizeof expected_form[0]; i++) {
    if (!contains(requests, expected_form[i])) fprintf(stderr, "missing form field %s\n", expected_form[i]);
    CHECK(contains(requests, expected_form[i]));
  }
  CHECK(dev_request_count("/oauth/exchange") == 1);
  CHECK(dev_request_count("/oauth/token") == 0); /* the exchange needs no new access token */
  free(requests);

  /* Only the subject token: the type defaults to access_token, the rest is left out. */
  dev_control("reset", "{}");
  wi_exchange_params minimal = {.subject_token = access_token};
  CHECK_OK(wi_exchange_token(client, &minimal, &exchanged, &check_ok_error));
  free(take_token(exchanged));
  requests = recorded_requests();
  CHECK(contains(requests, "\"subject_token_type\":\"" TOKEN_TYPE_ACCESS "\""));
  CHECK(!contains(requests, "\"audience\""));
  CHECK(!contains(requests, "\"actor_token\""));
  free(requests);
  test_passed("wi_exchange_token with every parameter, and with the subject token only");
}

static void test_integration_credential(const wi_client *client) {
  char *credential = NOT_NULL_SENTINEL;
  wi_error *error = NOT_NULL_SENTINEL;
  CHECK_ERR(wi_get_integration_credential(client, "github", &credential, &error) == WI_STATUS_OK, error);
  CHECK(error == NULL);
  CHECK(strcmp(credential, "ghp_dev_github_credential") == 0);
  wi_free_string(credential);
  CHECK_OK(wi_get_integration_credential(client, "slack", &credential, &check_ok_error));
  CHECK(strcmp(credential, "xoxb-dev-slack-credential") == 0);
  wi_free_string(credential);
  /* A non-ASCII name travels as UTF-8 JSON (a credential is visible ASCII: it goes in headers). */
  dev_control("config", "{\"integrations\":[[\"caf\xc3\xa9\",\"creme-credential\"]]}");
  CHECK_OK(wi_get_integration_credential(client, "caf\xc3\xa9", &credential, &check_ok_error));
  CHECK(strcmp(credential, "creme-credential") == 0);
  wi_free_string(credential);
  test_passed("wi_get_integration_credential (github, slack, a UTF-8 name)");
}

static void test_project_env_vars(const wi_client *client) {
  char *json = NULL;
  CHECK_OK(wi_get_project_env_vars(client, &json, &check_ok_error));
  const char *expected =
      "{\"vars\":[{\"key\":\"DATABASE_URL\",\"value\":\"postgres://dev:dev@127.0.0.1/dev\"},"
      "{\"key\":\"FEATURE_FLAG\",\"value\":\"on\"},"
      "{\"key\":\"GREETING\",\"value\":\"h\xc3\xa9llo w\xc3\xb6rld\"}]}";
  if (strcmp(json, expected) != 0) fprintf(stderr, "unexpected env vars document (%zu bytes)\n", strlen(json));
  CHECK(strcmp(json, expected) == 0);
  wi_free_string(json);

  /* Server order is kept, and an empty list is a valid answer. */
  dev_control("config", "{\"env\":[[\"ZETA\",\"1\"],[\"ALPHA\",\"2\"]]}");
  CHECK_OK(wi_get_project_env_vars(client, &json, &check_ok_error));
  CHECK(strcmp(json, "{\"vars\":[{\"key\":\"ZETA\",\"value\":\"1\"},{\"key\":\"ALPHA\",\"value\":\"2\"}]}") == 0);
  wi_free_string(json);
  dev_control("config", "{\"env\":[]}");
  CHECK_OK(wi_get_project_env_vars(client, &json, &check_ok_error));
  CHECK(strcmp(json, "{\"vars\":[]}") == 0);
  wi_free_string(json);
  dev_control("reset", "{}");
  test_passed("wi_get_project_env_vars: {\"vars\":[...]} in server order");
}

/* Returns the token cached afterwards (a copy). */
static char *test_invalidate_token(const wi_client *client, char *cached) {
  uint64_t requests = client_stats(client).server_requests;
  /* Another token: the cached one is kept. */
  CHECK_OK(wi_invalidate_token(client, "at_not_the_cached_token", &check_ok_error));
  char *token = NULL;
  CHECK_OK(wi_get_access_token(client, &token, &check_ok_error));
  CHECK(strcmp(token, cached) == 0);
  wi_free_string(token);
  CHECK(client_stats(client).server_requests == requests);

  /* The cached token itself: the next call fetches a new one. */
  wi_error *error = NOT_NULL_SENTINEL;
  CHECK_ERR(wi_invalidate_token(client, cached, &error) == WI_STATUS_OK, error);
  CHECK(error == NULL);
  CHECK_OK(wi_get_access_token(client, &token, &check_ok_error));
  char *renewed = take_token(token);
  CHECK(strcmp(renewed, cached) != 0);
  CHECK(client_stats(client).server_requests == requests + 2);
  free(cached);
  test_passed("wi_invalidate_token: only the rejected token is dropped");
  return renewed;
}

static void test_force_refresh(const wi_client *client, char *cached) {
  uint64_t requests = client_stats(client).server_requests;
  char *token = NOT_NULL_SENTINEL;
  wi_error *error = NOT_NULL_SENTINEL;
  CHECK_ERR(wi_force_refresh(client, &token, &error) == WI_STATUS_OK, error);
  CHECK(error == NULL);
  char *refreshed = take_token(token);
  CHECK(strcmp(refreshed, cached) != 0);
  CHECK(client_stats(client).server_requests == requests + 2);
  CHECK_OK(wi_get_access_token(client, &token, &check_ok_error));
  CHECK(strcmp(token, refreshed) == 0); /* the refreshed token replaced the cached one */
  wi_free_string(token);
  free(refreshed);
  free(cached);
  test_passed("wi_force_refresh fetches a new token that then serves from the cache");
}

static void test_stats_struct_sizes(const wi_client *client) {
  wi_stats full = client_stats(client);
  CHECK(full.server_requests > 0 && full.cache_hits > 0);

  /* An older caller that only knows struct_size and cache_hits. */
  wi_stats older;
  memset(&older, 0xab, sizeof older);
  older.struct_size = (uint32_t)offsetof(wi_stats, cache_misses);
  CHECK(wi_client_stats(client, &older) == WI_STATUS_OK);
  CHECK(older.struct_size == offsetof(wi_stats, cache_misses));
  CHECK(older.cache_hits == full.cache_hits);
  wi_stats untouched;
  memset(&untouched, 0xab, sizeof untouched);
  CHECK(memcmp((const char *)&older + offsetof(wi_stats, cache_misses),
               (const char *)&untouched + offsetof(wi_stats, cache_misses),
               sizeof older - offsetof(wi_stats, cache_misses)) == 0);

  /* Only the size member itself. */
  wi_stats smallest;
  memset(&smallest, 0xab, sizeof smallest);
  smallest.struct_size = sizeof(uint32_t);
  CHECK(wi_client_stats(client, &smallest) == WI_STATUS_OK);
  CHECK(smallest.struct_size == sizeof(uint32_t));
  CHECK(memcmp(&smallest.cache_hits, &untouched.cache_hits, sizeof smallest.cache_hits) == 0);

  /* A newer caller with a larger struct: the library fills what it knows. */
  struct {
    wi_stats known;
    uint64_t newer_members[4];
  } newer;
  memset(&newer, 0xab, sizeof newer);
  newer.known.struct_size = sizeof newer;
  CHECK(wi_client_stats(client, &newer.known) == WI_STATUS_OK);
  CHECK(newer.known.struct_size == sizeof(wi_stats));
  CHECK(newer.known.server_requests == full.server_requests);
  CHECK(newer.newer_members[3] == 0xababababababababULL);
  test_passed("wi_client_stats fills what fits in a smaller or larger struct_size");
}

/* What the log callback saw; guarded by `lock` (the callback may run on any thread). */
struct log_record {
  pthread_mutex_t lock;
  unsigned lines;
  unsigned unknown_levels;
  char text[1 << 16];
  size_t length;
};

static void record_log_line(wi_log_level level, const char *message, void *user_data) {
  struct log_record *record = user_data;
  pthread_mutex_lock(&record->lock);
  record->lines++;
  if (level < WI_LOG_ERROR || level > WI_LOG_DEBUG) record->unknown_levels++;
  size_t length = strlen(message);
  if (record->length + length + 2 < sizeof record->text) {
    memcpy(record->text + record->length, message, length);
    record->length += length;
    record->text[record->length++] = '\n';
    record->text[record->length] = '\0';
  }
  pthread_mutex_unlock(&record->lock);
}

static void test_log_callback(const wi_client *client) {
  static struct log_record record = {.lock = PTHREAD_MUTEX_INITIALIZER};
  CHECK(wi_set_log_callback(record_log_line, WI_LOG_DEBUG, &record) == WI_STATUS_OK);
  char *token = NULL;
  CHECK_OK(wi_force_refresh(client, &token, &check_ok_error));
  CHECK(wi_set_log_callback(NULL, WI_LOG_ERROR, NULL) == WI_STATUS_OK); /* back to stderr/WI_LOG */

  pthread_mutex_lock(&record.lock);
  CHECK(record.lines >= 1);
  CHECK(record.unknown_levels == 0);
  CHECK(!contains(record.text, token));
  CHECK(!contains(record.text, DEV_CLIENT_SECRET));
  unsigned lines = record.lines;
  pthread_mutex_unlock(&record.lock);
  wi_free_string(token);

  /* Replaced: the callback sees nothing more. */
  CHECK_OK(wi_force_refresh(client, &token, &check_ok_error));
  wi_free_string(token);
  pthread_mutex_lock(&record.lock);
  CHECK(record.lines == lines);
  pthread_mutex_unlock(&record.lock);

  CHECK(wi_set_log_callback(record_log_line, 0, &record) == WI_STATUS_INVALID_ARGUMENT);
  CHECK(wi_set_log_callback(record_log_line, WI_LOG_DEBUG + 1, &record) == WI_STATUS_INVALID_ARGUMENT);
  test_passed("wi_set_log_callback: lines reach the callback, free of tokens and secrets");
}

int main(void) {
  test_options();

  wi_options *options = dev_client_options(DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  CHECK_OK(wi_options_set(options, "user_agent", "wi-c-tests/1", &check_ok_error));
  wi_client *client = NULL;
  CHECK_OK(wi_client_new(options, &client, &check_ok_error));
  wi_options_free(options);

  char *token = test_access_token_and_cache(client);
  test_access_token_lease_and_buffer(client, token);
  test_client_from_environment(token);
  test_exchange_with_every_parameter(client, token);
  test_integration_credential(client);
  test_project_env_vars(client);
  token = test_invalidate_token(client, token);
  test_force_refresh(client, token);
  test_stats_struct_sizes(client);
  test_log_callback(client);

  wi_client_free(client);
  return 0;
}
