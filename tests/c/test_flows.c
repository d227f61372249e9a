/* test_flows.c: every flow and every client authentication of version 2
 * through the C ABI, against the dev server's OAuth token endpoint
 * (/oauth2/token): client_credentials under client_secret_post (the default),
 * client_secret_basic, private_key_jwt (RS256 and ES256) and none/client_id;
 * password; refresh_token with rotation; token_exchange of a subject token
 * file; none; and the coze default. Also wi_get_access_token_with_expiry,
 * wi_peek_access_token(_lease), the file token store, wi_client_stats, and
 * the bad input of issue 15: a flow missing its settings, bad subject token
 * files and private keys, a refused refresh token, an unsafe store directory.
 *
 * Every COZE_* variable is removed at start so that each client holds exactly
 * the settings the test gives it; each test uses its own client id (or other
 * identity setting), so no cached token of one test hides another's request.
 * Test keys: the dev server's, in DEVSERVER_KEYS_DIR (set by the Makefile). */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#ifndef DEVSERVER_KEYS_DIR
#error "DEVSERVER_KEYS_DIR must name tools/devserver/tests/keys"
#endif

#define JWT_TOKEN_TYPE "urn:ietf:params:oauth:token-type:jwt"
#define TOKEN_EXCHANGE_GRANT "urn:ietf:params:oauth:grant-type:token-exchange"
/* The dev server's token lifetime (its default --ttl). */
#define DEV_TTL_MS INT64_C(3600000)


/* The scratch directory of this run (subject token files, keys, stores). */
static char scratch[256];

/* ---- small helpers ---------------------------------------------------- */

static void set(wi_options *options, const char *key, const char *value) {
  wi_error *error = NULL;
  CHECK_ERR(wi_options_set(options, key, value, &error) == WI_STATUS_OK, error);
}

/* Options of `flow` at the dev server's OAuth token endpoint for `client_id`
 * (and `client_secret` unless NULL). */
static wi_options *flow_options(const char *flow, const char *client_id, const char *client_secret) {
  wi_options *options = wi_options_new();
  CHECK(options != NULL);
  char url[128];
  dev_url(url, sizeof url, "/oauth2/token");
  set(options, "flow", flow);
  set(options, "token_endpoint", url);
  if (client_id != NULL) set(options, "client_id", client_id);
  if (client_secret != NULL) set(options, "client_secret", client_secret);
  return options;
}

/* A client from `options` (freed here); exits on failure. */
static wi_client *new_client(wi_options *options) {
  wi_client *client = NULL;
  wi_error *error = NULL;
  CHECK_ERR(wi_client_new(options, &client, &error) == WI_STATUS_OK, error);
  wi_options_free(options);
  CHECK(client != NULL);
  return client;
}

/* wi_client_new(options) must fail with `expected`; returns the error (options freed). */
static wi_error *failing_client(wi_options *options, wi_status expected) {
  wi_client *client = NOT_NULL_SENTINEL;
  wi_error *error = NULL;
  wi_status status = wi_client_new(options, &client, &error);
  wi_options_free(options);
  CHECK(client == NULL);
  if (status != expected) fprintf(stderr, "expected status %u, got %u\n", (unsigned)expected, (unsigned)status);
  CHECK_ERR(status == expected, error);
  CHECK(error != NULL && wi_error_status(error) == expected);
  return error;
}

/* Registers client `id` with `secret` at the dev server. */
static void add_client(const char *id, const char *secret) {
  char body[256];
  snprintf(body, sizeof body, "{\"clients\":[[\"%s\",\"%s\"]]}", id, secret);
  dev_control("config", body);
}

/* Checks a library token ("at_" + 32 hex, as the dev server issues) and frees it into `copy`. */
static void take_token(char *token, char *copy, size_t size) {
  CHECK(token != NULL);
  CHECK(strncmp(token, "at_", 3) == 0 && strlen(token) == 35);
  CHECK(strlen(token) < size);
  strcpy(copy, token);
  wi_free_string(token);
}

static void get_token(const wi_client *client, char *copy, size_t size) {
  char *token = NULL;
  CHECK_OK(wi_get_access_token(client, &token, &check_ok_error));
  take_token(token, copy, size);
}

static void force_refresh(const wi_client *client, char *copy, size_t size) {
  char *token = NULL;
  CHECK_OK(wi_force_refresh(client, &token, &check_ok_error));
  take_token(token, copy, size);
}

/* Calls wi_get_access_token, requires a failure, and returns its status (out-parameter checked). */
static wi_status failing_token(const wi_client *client, wi_error **error) {
  char *token = NOT_NULL_SENTINEL;
  wi_status status = wi_get_access_token(client, &token, error);
  CHECK(token == NULL);
  return status;
}

static int64_t now_unix_ms(void) {
  struct timespec now;
  CHECK(clock_gettime(CLOCK_REALTIME, &now) == 0);
  return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* The dev server's recorded requests since the last reset, as JSON (caller frees). */
static char *recorded_requests(void) {
  size_t size = 1 << 18;
  char *requests = malloc(size);
  CHECK(requests != NULL);
  CHECK(dev_request("GET", "/_dev/requests", NULL, requests, size) == 200);
  return requests;
}

/* Copies the string value of the `n`-th (from 0) JSON member `member` of `doc`
 * into `out`; false when there is none. The recorded requests hold no escapes
 * in the values read here (tokens, grant types, method names). */
static bool member_value(const char *doc, const char *member, int n, char *out, size_t size) {
  char pattern[128];
  snprintf(pattern, sizeof pattern, "\"%s\":\"", member);
  const char *at = doc;
  for (int i = 0; i <= n; i++) {
    at = strstr(at, pattern);
    if (at == NULL) return false;
    at += strlen(pattern);
  }
  size_t length = strcspn(at, "\"");
  CHECK(length < size);
  memcpy(out, at, length);
  out[length] = '\0';
  return true;
}

/* Requires the `n`-th recorded `member` to equal `expected`. */
static void check_member(const char *doc, const char *member, int n, const char *expected) {
  char value[512];
  bool found = member_value(doc, member, n, value, sizeof value);
  if (!found || strcmp(value, expected) != 0) {
    fprintf(stderr, "recorded %s #%d: expected \"%s\", got %s%s%s\n", member, n, expected,
            found ? "\"" : "", found ? value : "nothing", found ? "\"" : "");
  }
  CHECK(found && strcmp(value, expected) == 0);
}

static void write_file(const char *path, const char *content, size_t length) {
  FILE *file = fopen(path, "wb");
  CHECK(file != NULL);
  CHECK(fwrite(content, 1, length, file) == length);
  CHECK(fclose(file) == 0);
}

/* The whole file at `path`, NUL-terminated (caller frees). */
static char *read_file(const char *path) {
  FILE *file = fopen(path, "rb");
  CHECK(file != NULL);
  size_t capacity = 1 << 16;
  char *text = malloc(capacity);
  CHECK(text != NULL);
  size_t length = fread(text, 1, capacity - 1, file);
  CHECK(length > 0 && length < capacity - 1);
  text[length] = '\0';
  fclose(file);
  return text;
}

static void scratch_path(char *path, size_t size, const char *name) {
  int written = snprintf(path, size, "%s/%s", scratch, name);
  CHECK(written > 0 && (size_t)written < size);
}

/* Registers the public key `public_pem_name` (in DEVSERVER_KEYS_DIR) for client `id`. */
static void add_client_key(const char *id, const char *public_pem_name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", DEVSERVER_KEYS_DIR, public_pem_name);
  char *pem = read_file(path);
  size_t capacity = strlen(pem) * 2 + 256;
  char *body = malloc(capacity);
  CHECK(body != NULL);
  size_t at = (size_t)snprintf(body, capacity, "{\"client_keys\":[[\"%s\",\"", id);
  for (const char *c = pem; *c != '\0'; c++) { /* JSON-escape the newlines */
    if (*c == '\n') {
      body[at++] = '\\';
      body[at++] = 'n';
    } else {
      body[at++] = *c;
    }
  }
  snprintf(body + at, capacity - at, "\"]]}");
  dev_control("config", body);
  free(body);
  free(pem);
}

/* ---- client_credentials under each client authentication --------------- */

/* client_credentials with `client_auth` (NULL: unset, the default): one
 * request authenticated as `expected_method`, then cache hits; scope,
 * audience and resource sent. */
static void check_client_credentials(const char *client_auth, const char *expected_method) {
  char id[64];
  snprintf(id, sizeof id, "c-cc-%s", client_auth != NULL ? client_auth : "default");
  add_client(id, "cc-secret");
  dev_control("reset", "{}");
  wi_options *options = flow_options("client_credentials", id, "cc-secret");
  if (client_auth != NULL) set(options, "client_auth", client_auth);
  set(options, "scope", "read write");
  set(options, "audience", "api://c-tests");
  set(options, "resource", "https://api.example/");
  wi_client *client = new_client(options);

  char first[64], second[64];
  get_token(client, first, sizeof first);
  get_token(client, second, sizeof second);
  CHECK(strcmp(first, second) == 0);
  wi_stats stats = client_stats(client);
  CHECK(stats.server_requests == 1);
  CHECK(stats.refreshes_succeeded == 1);
  CHECK(stats.cache_hits >= 1);
  CHECK(dev_request_count("/oauth2/token") == 1);

  char *requests = recorded_requests();
  check_member(requests, "client_auth", 0, expected_method);
  check_member(requests, "grant_type", 0, "client_credentials");
  check_member(requests, "scope", 0, "read write");
  check_member(requests, "audience", 0, "api://c-tests");
  check_member(requests, "resource", 0, "https://api.example/");
  if (strcmp(expected_method, "client_secret_basic") == 0) {
    /* The secret travels in the header only. */
    CHECK(contains(requests, "\"authorization\":\"Basic "));
    CHECK(!contains(requests, "\"client_secret\""));
  } else {
    check_member(requests, "client_secret", 0, "cc-secret");
  }
  free(requests);
  wi_client_free(client);
}

static void test_client_credentials(void) {
  check_client_credentials(NULL, "client_secret_post");
  check_client_credentials("client_secret_post", "client_secret_post");
  check_client_credentials("client_secret_basic", "client_secret_basic");
  test_passed("client_credentials under client_secret_post (default and set) and client_secret_basic; "
              "scope, audience, resource sent; one request, then the cache");
}

/* private_key_jwt with the dev server's `key` (rsa or ec): an assertion per
 * request (the server refuses a jti seen twice: the forced refresh proves
 * they differ), never a secret. */
static void check_private_key_jwt(const char *key) {
  char id[64], private_path[512], public_name[64];
  snprintf(id, sizeof id, "c-jwt-%s", key);
  snprintf(private_path, sizeof private_path, "%s/%s.pem", DEVSERVER_KEYS_DIR, key);
  snprintf(public_name, sizeof public_name, "%s.pub.pem", key);
  add_client_key(id, public_name);
  dev_control("reset", "{}");
  wi_options *options = flow_options("client_credentials", id, NULL);
  set(options, "client_auth", "private_key_jwt");
  set(options, "private_key_path", private_path);
  set(options, "private_key_id", "c-tests-key");
  wi_client *client = new_client(options);

  char first[64], second[64];
  get_token(client, first, sizeof first);
  force_refresh(client, second, sizeof second);
  CHECK(strcmp(first, second) != 0);
  CHECK(client_stats(client).server_requests == 2);

  char *requests = recorded_requests();
  for (int i = 0; i < 2; i++) {
    check_member(requests, "client_auth", i, "private_key_jwt");
    check_member(requests, "client_assertion_type", i,
                 "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  }
  char assertion[2][2048];
  CHECK(member_value(requests, "client_assertion", 0, assertion[0], sizeof assertion[0]));
  CHECK(member_value(requests, "client_assertion", 1, assertion[1], sizeof assertion[1]));
  CHECK(strcmp(assertion[0], assertion[1]) != 0);
  CHECK(!contains(requests, "\"client_secret\""));
  CHECK(!contains(requests, "\"authorization\""));
  free(requests);
  wi_client_free(client);
}

static void test_private_key_jwt(void) {
  check_private_key_jwt("rsa");
  check_private_key_jwt("ec");
  test_passed("client_credentials under private_key_jwt (RS256 and ES256): a new assertion per request");
}

/* none / client_id send client_id alone: accepted for the password grant,
 * refused (401, not retryable) for client_credentials, which needs proof. */
static void test_client_id_alone(void) {
  const char *methods[] = {"none", "client_id"};
  for (size_t i = 0; i < 2; i++) {
    char id[64];
    snprintf(id, sizeof id, "c-alone-%s", methods[i]);
    add_client(id, "alone-secret");

    dev_control("reset", "{}");
    wi_options *options = flow_options("password", id, "alone-secret");
    set(options, "client_auth", methods[i]);
    set(options, "username", "dev-user");
    set(options, "password", "dev-password");
    wi_client *client = new_client(options);
    char token[64];
    get_token(client, token, sizeof token);
    char *requests = recorded_requests();
    check_member(requests, "client_auth", 0, "none");
    check_member(requests, "client_id", 0, id);
    CHECK(!contains(requests, "\"client_secret\""));
    free(requests);
    wi_client_free(client);

    options = flow_options("client_credentials", id, "alone-secret");
    set(options, "client_auth", methods[i]);
    client = new_client(options);
    wi_error *error = NULL;
    wi_status status = failing_token(client, &error);
    check_failure(status, error, WI_STATUS_TOKEN_RETRIEVAL, 401, "invalid_client", false,
                  "alone-secret", NULL);
    wi_client_free(client);
  }
  test_passed("client_auth none and client_id send client_id alone (password: a token; "
              "client_credentials: 401 invalid_client, not retryable)");
}

/* ---- password, refresh_token, token_exchange, none, coze ---------------- */

/* password: grant_type=password; the answer's refresh token serves the next
 * fetch (grant_type=refresh_token), rotated at each one; a wrong password is
 * invalid_grant and never appears in the message. */
static void test_password(void) {
  add_client("c-password", "pw-secret");
  dev_control("reset", "{}");
  wi_options *options = flow_options("password", "c-password", "pw-secret");
  set(options, "client_auth", "client_secret_basic");
  set(options, "username", "dev-user");
  set(options, "password", "dev-password");
  wi_client *client = new_client(options);
  char token[3][64];
  get_token(client, token[0], sizeof token[0]);
  force_refresh(client, token[1], sizeof token[1]);
  force_refresh(client, token[2], sizeof token[2]);
  CHECK(strcmp(token[0], token[1]) != 0 && strcmp(token[1], token[2]) != 0);

  char *requests = recorded_requests();
  check_member(requests, "grant_type", 0, "password");
  check_member(requests, "username", 0, "dev-user");
  check_member(requests, "grant_type", 1, "refresh_token");
  check_member(requests, "grant_type", 2, "refresh_token");
  for (int i = 0; i < 3; i++) check_member(requests, "client_auth", i, "client_secret_basic");
  char refresh[2][128];
  CHECK(member_value(requests, "refresh_token", 0, refresh[0], sizeof refresh[0]));
  CHECK(member_value(requests, "refresh_token", 1, refresh[1], sizeof refresh[1]));
  CHECK(strncmp(refresh[0], "rt_", 3) == 0 && strcmp(refresh[0], refresh[1]) != 0);
  free(requests);
  CHECK(client_stats(client).server_requests == 3);
  wi_client_free(client);

  options = flow_options("password", "c-password", "pw-secret");
  set(options, "username", "dev-user");
  set(options, "password", "not-the-password");
  client = new_client(options);
  wi_error *error = NULL;
  wi_status status = failing_token(client, &error);
  check_failure(status, error, WI_STATUS_TOKEN_RETRIEVAL, 400, "invalid_grant", false,
                "not-the-password", NULL);
  wi_client_free(client);
  test_passed("password: then refresh_token with rotation (a new refresh token each time); "
              "a wrong password is invalid_grant, not retryable, not in the message");
}

/* A refresh token issued by the dev server to dev-client (no protocol request). */
static void issue_refresh_token(char *token, size_t size) {
  char answer[256];
  CHECK(dev_request("POST", "/_dev/tokens", "{\"kind\":\"refresh\",\"client_id\":\"" DEV_CLIENT_ID "\"}",
                    answer, sizeof answer) == 200);
  CHECK(member_value(answer, "token", 0, token, size));
  CHECK(strncmp(token, "rt_", 3) == 0);
}

/* A refresh_token client for dev-client; `tenant` makes its identity its own. */
static wi_client *refresh_client(const char *refresh_token, const char *tenant) {
  wi_options *options = flow_options("refresh_token", DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  set(options, "refresh_token", refresh_token);
  set(options, "header.X-Tenant", tenant);
  return new_client(options);
}

/* refresh_token: the configured token, then the rotated one; the configured
 * one used again (by another identity) is invalid_grant: not retryable, and
 * the message says re-authentication is needed; after that the identity
 * holds no refresh token and fails at once, without a request. */
static void test_refresh_token(void) {
  char initial[128];
  issue_refresh_token(initial, sizeof initial);
  dev_control("reset", "{}");
  wi_client *client = refresh_client(initial, "first");
  char token[2][64];
  get_token(client, token[0], sizeof token[0]);
  force_refresh(client, token[1], sizeof token[1]);
  char *requests = recorded_requests();
  check_member(requests, "grant_type", 0, "refresh_token");
  check_member(requests, "refresh_token", 0, initial);
  char rotated[128];
  CHECK(member_value(requests, "refresh_token", 1, rotated, sizeof rotated));
  CHECK(strncmp(rotated, "rt_", 3) == 0 && strcmp(rotated, initial) != 0);
  check_member(requests, "client_auth", 0, "client_secret_post");
  free(requests);
  wi_client_free(client);

  /* The initial token was rotated away: the server refuses it now. */
  wi_client *stale = refresh_client(initial, "second");
  wi_error *error = NULL;
  wi_status status = failing_token(stale, &error);
  CHECK(contains(wi_error_message(error), "re-authentication"));
  check_failure(status, error, WI_STATUS_TOKEN_RETRIEVAL, 400, "invalid_grant", false, initial, NULL);

  long before = dev_request_count("/oauth2/token");
  char *out = NOT_NULL_SENTINEL;
  error = NULL;
  status = wi_force_refresh(stale, &out, &error);
  CHECK(out == NULL);
  CHECK(status == WI_STATUS_TOKEN_RETRIEVAL && !wi_error_retryable(error));
  CHECK_ERR(contains(wi_error_message(error), "re-authentication"), error);
  CHECK_ERR(!contains(wi_error_message(error), initial), error);
  wi_error_free(error);
  CHECK(dev_request_count("/oauth2/token") == before);
  wi_client_free(stale);
  test_passed("refresh_token: rotation; a refused refresh token is invalid_grant, not retryable, "
              "'re-authentication is needed'; then no request at all");
}

/* token_exchange: the file's subject token (whitespace trimmed), read again
 * at every fetch; the default subject_token_type. */
static void test_token_exchange(void) {
  char path[512];
  scratch_path(path, sizeof path, "subject-token");
  write_file(path, "eyJ.first-subject.sig\n", strlen("eyJ.first-subject.sig\n"));
  dev_control("reset", "{}");
  wi_options *options = flow_options("token_exchange", DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  set(options, "subject_token_file", path);
  set(options, "audience", "api://exchange");
  wi_client *client = new_client(options);
  char token[2][64];
  get_token(client, token[0], sizeof token[0]);
  write_file(path, "  eyJ.second-subject.sig  \n", strlen("  eyJ.second-subject.sig  \n"));
  force_refresh(client, token[1], sizeof token[1]);
  CHECK(strcmp(token[0], token[1]) != 0);

  char *requests = recorded_requests();
  check_member(requests, "grant_type", 0, TOKEN_EXCHANGE_GRANT);
  check_member(requests, "subject_token", 0, "eyJ.first-subject.sig");
  check_member(requests, "subject_token_type", 0, JWT_TOKEN_TYPE);
  check_member(requests, "audience", 0, "api://exchange");
  check_member(requests, "subject_token", 1, "eyJ.second-subject.sig");
  free(requests);
  wi_client_free(client);
  test_passed("token_exchange: the subject token file, trimmed, read again at every fetch");
}

/* The subject token file's failures name the path, never the content. */
static void check_bad_subject_token_file(const char *path, const char *tenant, const char *content,
                                         const char *reason) {
  wi_options *options = flow_options("token_exchange", DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  set(options, "subject_token_file", path);
  set(options, "header.X-Tenant", tenant);
  wi_client *client = new_client(options);
  long before = dev_request_count("/oauth2/token");
  wi_error *error = NULL;
  wi_status status = failing_token(client, &error);
  if (!contains(wi_error_message(error), reason)) fprintf(stderr, "expected '%s'\n", reason);
  CHECK_ERR(contains(wi_error_message(error), path), error);
  CHECK_ERR(contains(wi_error_message(error), reason), error);
  check_failure(status, error, WI_STATUS_TOKEN_EXCHANGE, 0, NULL, false, content, NULL);
  CHECK(dev_request_count("/oauth2/token") == before);
  wi_client_free(client);
}

static void test_bad_subject_token_files(void) {
  char path[512];
  scratch_path(path, sizeof path, "no-such-subject-token");
  check_bad_subject_token_file(path, "missing", NULL, "cannot open");

  scratch_path(path, sizeof path, "empty-subject-token");
  write_file(path, " \n", 2);
  check_bad_subject_token_file(path, "empty", NULL, "empty");

  /* A directory opens but cannot be read. */
  check_bad_subject_token_file(scratch, "directory", NULL, "cannot read");

  scratch_path(path, sizeof path, "huge-subject-token");
  size_t size = 64 * 1024 + 1;
  char *huge = malloc(size + 1);
  CHECK(huge != NULL);
  memset(huge, 'A', size);
  memcpy(huge, "SUBJECT-SECRET-", 15);
  huge[size] = '\0';
  write_file(path, huge, size);
  check_bad_subject_token_file(path, "huge", "SUBJECT-SECRET-", "larger than");
  free(huge);
  test_passed("subject_token_file missing, empty, a directory, oversized: TOKEN_EXCHANGE naming the "
              "path, never the content, no request");
}

/* flow=none: a client needs no setting, and has no access token. */
static void test_flow_none(void) {
  wi_options *options = wi_options_new();
  set(options, "flow", "none");
  wi_client *client = new_client(options);
  wi_error *error = NULL;
  wi_status status = failing_token(client, &error);
  check_failure(status, error, WI_STATUS_CONFIGURATION, 0, NULL, false, NULL, NULL);
  char *token = NOT_NULL_SENTINEL;
  int64_t expires_at = -1;
  status = wi_get_access_token_with_expiry(client, &token, &expires_at, &error);
  CHECK(token == NULL && expires_at == 0);
  check_failure(status, error, WI_STATUS_CONFIGURATION, 0, NULL, false, NULL, NULL);
  token = NOT_NULL_SENTINEL;
  CHECK(!wi_peek_access_token(client, &token));
  CHECK(token == NULL);
  CHECK(client_stats(client).server_requests == 0);
  wi_client_free(client);
  test_passed("flow none: no setting needed; wi_get_access_token(_with_expiry) is CONFIGURATION, peek false");
}

/* ---- expiry and the probe ------------------------------------------------ */

/* The expiry is the request's send time + expires_in (the dev server's TTL). */
static void check_expiry(const wi_client *client, int64_t before_ms, int64_t after_ms,
                         const char *cached) {
  char *token = NULL;
  int64_t expires_at = 0;
  CHECK_OK(wi_get_access_token_with_expiry(client, &token, &expires_at, &check_ok_error));
  CHECK(token != NULL);
  if (cached != NULL) CHECK(strcmp(token, cached) == 0);
  wi_free_string(token);
  /* A second of slack either way: the send time falls between before and after. */
  if (!(expires_at >= before_ms + DEV_TTL_MS - 1000 && expires_at <= after_ms + DEV_TTL_MS + 1000)) {
    fprintf(stderr, "expiry %lld not within [%lld, %lld] + TTL\n", (long long)expires_at,
            (long long)before_ms, (long long)after_ms);
  }
  CHECK(expires_at >= before_ms + DEV_TTL_MS - 1000 && expires_at <= after_ms + DEV_TTL_MS + 1000);
}

static void test_expiry_and_peek(void) {
  const char *flows[] = {"coze", "client_credentials"};
  for (size_t i = 0; i < 2; i++) {
    char id[64];
    snprintf(id, sizeof id, "c-expiry-%s", flows[i]);
    add_client(id, "expiry-secret");
    wi_options *options = i == 0 ? dev_client_options(id, "expiry-secret")
                                 : flow_options(flows[i], id, "expiry-secret");
    if (i == 0) set(options, "flow", "coze");
    wi_client *client = new_client(options);

    /* Cold: nothing cached, nothing written, no request. */
    char *token = NOT_NULL_SENTINEL;
    CHECK(!wi_peek_access_token(client, &token));
    CHECK(token == NULL);
    uint32_t lease_ms = UINT32_MAX;
    token = NOT_NULL_SENTINEL;
    CHECK(!wi_peek_access_token_lease(client, &token, &lease_ms));
    CHECK(token == NULL && lease_ms == 0);
    CHECK(client_stats(client).server_requests == 0);

    /* The first call fetches: its expiry. */
    int64_t before = now_unix_ms();
    token = NULL;
    int64_t expires_at = 0;
    CHECK_OK(wi_get_access_token_with_expiry(client, &token, &expires_at, &check_ok_error));
    int64_t after = now_unix_ms();
    char cached[64];
    take_token(token, cached, sizeof cached);
    CHECK(expires_at >= before + DEV_TTL_MS - 1000 && expires_at <= after + DEV_TTL_MS + 1000);
    uint64_t requests = client_stats(client).server_requests;
    CHECK(requests == (i == 0 ? 2 : 1));
    /* Again, from the cache: the same token and expiry. */
    check_expiry(client, before, after, cached);

    /* Warm: the probe answers from the cache. */
    token = NULL;
    CHECK(wi_peek_access_token(client, &token));
    CHECK(token != NULL && strcmp(token, cached) == 0);
    wi_free_string(token);
    token = NULL;
    lease_ms = 0;
    CHECK(wi_peek_access_token_lease(client, &token, &lease_ms));
    CHECK(token != NULL && strcmp(token, cached) == 0);
    CHECK(lease_ms > 0 && lease_ms <= 1000);
    wi_free_string(token);
    CHECK(client_stats(client).server_requests == requests);

    /* NULL arguments: false, nothing written. */
    CHECK(!wi_peek_access_token(NULL, &token));
    CHECK(!wi_peek_access_token(client, NULL));
    token = NOT_NULL_SENTINEL;
    CHECK(!wi_peek_access_token_lease(client, &token, NULL));
    CHECK(token == NULL);
    CHECK(!wi_peek_access_token_lease(NULL, &token, &lease_ms));
    CHECK(!wi_peek_access_token_lease(client, NULL, &lease_ms));

    /* wi_get_access_token_with_expiry's NULL arguments. */
    wi_error *error = NULL;
    token = NOT_NULL_SENTINEL;
    wi_status status = wi_get_access_token_with_expiry(client, &token, NULL, &error);
    CHECK(token == NULL);
    check_failure(status, error, WI_STATUS_INVALID_ARGUMENT, 0, NULL, false, NULL, cached);
    expires_at = -1;
    status = wi_get_access_token_with_expiry(client, NULL, &expires_at, &error);
    CHECK(expires_at == 0);
    check_failure(status, error, WI_STATUS_INVALID_ARGUMENT, 0, NULL, false, NULL, cached);
    status = wi_get_access_token_with_expiry(NULL, &token, &expires_at, &error);
    check_failure(status, error, WI_STATUS_INVALID_ARGUMENT, 0, NULL, false, NULL, NULL);
    /* The lease variant resets both out-parameters the same way. */
    lease_ms = UINT32_MAX;
    CHECK(wi_get_access_token_lease(client, NULL, &lease_ms, NULL) == WI_STATUS_INVALID_ARGUMENT);
    CHECK(lease_ms == 0);
    token = NOT_NULL_SENTINEL;
    CHECK(wi_get_access_token_lease(client, &token, NULL, NULL) == WI_STATUS_INVALID_ARGUMENT);
    CHECK(token == NULL);

    /* Invalidated: the probe sends the caller to the network. */
    CHECK_OK(wi_invalidate_token(client, cached, &check_ok_error));
    token = NOT_NULL_SENTINEL;
    CHECK(!wi_peek_access_token(client, &token));
    CHECK(token == NULL);
    wi_client_free(client);
  }
  test_passed("wi_get_access_token_with_expiry: send time + expires_in (coze and client_credentials); "
              "wi_peek_access_token(_lease): false cold or invalidated, true cached, false on NULL");
}

/* ---- the token store ------------------------------------------------------ */

/* The number of regular files in `dir` and whether each is 0600. */
static int store_files(const char *dir, bool *all_private) {
  DIR *listing = opendir(dir);
  CHECK(listing != NULL);
  int count = 0;
  *all_private = true;
  struct dirent *entry;
  while ((entry = readdir(listing)) != NULL) {
    if (entry->d_name[0] == '.') continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
    struct stat info;
    CHECK(stat(path, &info) == 0);
    if (!S_ISREG(info.st_mode)) continue;
    count++;
    if ((info.st_mode & 0777) != 0600) *all_private = false;
  }
  closedir(listing);
  return count;
}

static void test_file_store(void) {
  char dir[512], nested[600];
  scratch_path(dir, sizeof dir, "store");
  snprintf(nested, sizeof nested, "file:%s/tokens", dir);
  add_client("c-store", "store-secret");
  wi_options *options = flow_options("client_credentials", "c-store", "store-secret");
  set(options, "token_store", nested);
  wi_client *client = new_client(options);
  char tokens_dir[600];
  snprintf(tokens_dir, sizeof tokens_dir, "%s/tokens", dir);
  struct stat info;
  CHECK(stat(tokens_dir, &info) == 0 && S_ISDIR(info.st_mode));
  CHECK((info.st_mode & 0777) == 0700);

  char token[64];
  get_token(client, token, sizeof token);
  bool all_private = false;
  CHECK(store_files(tokens_dir, &all_private) >= 1);
  CHECK(all_private);
  /* The entry holds neither the secret nor a name derived from it in clear. */
  DIR *listing = opendir(tokens_dir);
  CHECK(listing != NULL);
  struct dirent *entry;
  while ((entry = readdir(listing)) != NULL) {
    if (entry->d_name[0] == '.') continue;
    CHECK(!contains(entry->d_name, "c-store") && !contains(entry->d_name, "store-secret"));
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", tokens_dir, entry->d_name);
    struct stat file_info;
    CHECK(stat(path, &file_info) == 0);
    if (!S_ISREG(file_info.st_mode) || file_info.st_size == 0) continue;
    char *content = read_file(path);
    CHECK(!contains(content, "store-secret"));
    free(content);
  }
  closedir(listing);
  wi_client_free(client);

  /* Group-writable: refused at wi_client_new, naming the directory. */
  char open_dir[512], setting[600];
  scratch_path(open_dir, sizeof open_dir, "group-writable-store");
  CHECK(mkdir(open_dir, 0700) == 0);
  CHECK(chmod(open_dir, 0770) == 0);
  snprintf(setting, sizeof setting, "file:%s", open_dir);
  options = flow_options("client_credentials", "c-store", "store-secret");
  set(options, "token_store", setting);
  wi_error *error = failing_client(options, WI_STATUS_STORE);
  CHECK_ERR(contains(wi_error_message(error), open_dir), error);
  check_failure(WI_STATUS_STORE, error, WI_STATUS_STORE, 0, NULL, false, "store-secret", NULL);

  /* Owned by another user (only root can make one). */
  char foreign_dir[512];
  scratch_path(foreign_dir, sizeof foreign_dir, "foreign-store");
  CHECK(mkdir(foreign_dir, 0700) == 0);
  if (chown(foreign_dir, 65534, 65534) == 0) {
    snprintf(setting, sizeof setting, "file:%s", foreign_dir);
    options = flow_options("client_credentials", "c-store", "store-secret");
    set(options, "token_store", setting);
    error = failing_client(options, WI_STATUS_STORE);
    check_failure(WI_STATUS_STORE, error, WI_STATUS_STORE, 0, NULL, false, "store-secret", NULL);
  }

  /* A regular file where the directory should be. */
  char file_path[512];
  scratch_path(file_path, sizeof file_path, "store-is-a-file");
  write_file(file_path, "x", 1);
  snprintf(setting, sizeof setting, "file:%s", file_path);
  options = flow_options("client_credentials", "c-store", "store-secret");
  set(options, "token_store", setting);
  error = failing_client(options, WI_STATUS_STORE);
  check_failure(WI_STATUS_STORE, error, WI_STATUS_STORE, 0, NULL, false, "store-secret", NULL);
  test_passed("token_store file:<DIR>: created 0700, entries 0600 holding no secret; a group-writable "
              "or foreign directory, or a file, is WI_STATUS_STORE at wi_client_new");
}

/* ---- configuration errors at wi_client_new --------------------------------- */

/* wi_client_new with only `flow` (and `extra`) must name each of `names`. */
static void check_missing(const char *flow, const char *extra_key, const char *extra_value,
                          const char *const *names) {
  wi_options *options = wi_options_new();
  set(options, "flow", flow);
  if (extra_key != NULL) set(options, extra_key, extra_value);
  wi_error *error = failing_client(options, WI_STATUS_CONFIGURATION);
  for (const char *const *name = names; *name != NULL; name++) {
    if (!contains(wi_error_message(error), *name)) fprintf(stderr, "flow %s: %s not named\n", flow, *name);
    CHECK_ERR(contains(wi_error_message(error), *name), error);
  }
  check_failure(WI_STATUS_CONFIGURATION, error, WI_STATUS_CONFIGURATION, 0, NULL, false, NULL, NULL);
}

static void test_missing_settings(void) {
  const char *const coze[] = {"client_id", "client_secret", "token_endpoint", "access_token_endpoint", NULL};
  const char *const client_credentials[] = {"client_id", "token_endpoint", "issuer", NULL};
  const char *const password[] = {"username", "password", "token_endpoint", "issuer", NULL};
  const char *const refresh_token[] = {"refresh_token", "token_endpoint", "issuer", NULL};
  const char *const token_exchange[] = {"subject_token_file", "token_endpoint", "issuer", NULL};
  const char *const private_key_jwt[] = {"client_id", "private_key_path", "token_endpoint", NULL};
  const char *const basic[] = {"client_id", "client_secret", "token_endpoint", NULL};
  check_missing("coze", NULL, NULL, coze);
  check_missing("client_credentials", NULL, NULL, client_credentials);
  check_missing("password", NULL, NULL, password);
  check_missing("refresh_token", NULL, NULL, refresh_token);
  check_missing("token_exchange", NULL, NULL, token_exchange);
  check_missing("client_credentials", "client_auth", "private_key_jwt", private_key_jwt);
  check_missing("client_credentials", "client_auth", "client_secret_basic", basic);
  test_passed("a flow missing its settings: CONFIGURATION at wi_client_new naming every missing one");
}

/* A private key that cannot be used: CONFIGURATION at wi_client_new naming
 * the path and `reason`, never the file's content (`marker`). */
static void check_bad_key(const char *path, const char *reason, const char *marker) {
  wi_options *options = flow_options("client_credentials", "c-bad-key", NULL);
  set(options, "client_auth", "private_key_jwt");
  set(options, "private_key_path", path);
  wi_error *error = failing_client(options, WI_STATUS_CONFIGURATION);
  if (!contains(wi_error_message(error), reason)) fprintf(stderr, "expected '%s'\n", reason);
  CHECK_ERR(contains(wi_error_message(error), path), error);
  CHECK_ERR(contains(wi_error_message(error), reason), error);
  check_failure(WI_STATUS_CONFIGURATION, error, WI_STATUS_CONFIGURATION, 0, NULL, false, marker, NULL);
}

static void test_bad_private_keys(void) {
  char path[512];
  scratch_path(path, sizeof path, "no-such-key.pem");
  check_bad_key(path, "cannot be read", NULL);
  check_bad_key(scratch, "is a directory", NULL);

  scratch_path(path, sizeof path, "malformed.pem");
  const char *malformed = "KEY-MATERIAL-SECRET this is no PEM at all\n";
  write_file(path, malformed, strlen(malformed));
  check_bad_key(path, "not PEM", "KEY-MATERIAL-SECRET");

  scratch_path(path, sizeof path, "encrypted.pem");
  const char *encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
                          "S0VZLU1BVEVSSUFMLVNFQ1JFVA==\n"
                          "-----END ENCRYPTED PRIVATE KEY-----\n";
  write_file(path, encrypted, strlen(encrypted));
  check_bad_key(path, "encrypted", "S0VZLU1BVEVSSUFMLVNFQ1JFVA");

  scratch_path(path, sizeof path, "empty.pem");
  write_file(path, "", 0);
  check_bad_key(path, "empty", NULL);

  /* A public key where the private one belongs (wrong type). */
  char public_path[512];
  snprintf(public_path, sizeof public_path, "%s/ec.pub.pem", DEVSERVER_KEYS_DIR);
  char *pem = read_file(public_path);
  char *line = strchr(pem, '\n');
  CHECK(line != NULL);
  char body_line[16];
  snprintf(body_line, sizeof body_line, "%.12s", line + 1); /* a piece of the key's base64 */
  check_bad_key(public_path, "no private key", body_line);
  free(pem);
  test_passed("private keys missing, a directory, not PEM, encrypted, empty, public: CONFIGURATION "
              "naming the path, never the key");
}

/* ---- the coze default ----------------------------------------------------- */

static void test_coze_default(void) {
  add_client("c-coze", "coze-secret");
  dev_control("reset", "{}");
  wi_client *client = new_client(dev_client_options("c-coze", "coze-secret"));
  char token[64];
  get_token(client, token, sizeof token);
  CHECK(client_stats(client).server_requests == 2);
  CHECK(dev_request_count("/oauth/token") == 1 && dev_request_count("/oauth/exchange") == 1);
  CHECK(dev_request_count("/oauth2/token") == 0);
  char *requests = recorded_requests();
  check_member(requests, "client_auth", 0, "client_secret_post"); /* step 1: the secret in the form */
  check_member(requests, "client_auth", 1, "none");               /* step 2: client_id alone */
  free(requests);
  wi_client_free(client);

  /* client_auth set applies to both steps. */
  dev_control("reset", "{}");
  wi_options *options = dev_client_options("c-coze", "coze-secret");
  set(options, "client_auth", "client_secret_basic");
  client = new_client(options);
  get_token(client, token, sizeof token);
  requests = recorded_requests();
  check_member(requests, "client_auth", 0, "client_secret_basic");
  check_member(requests, "client_auth", 1, "client_secret_basic");
  free(requests);
  wi_client_free(client);
  test_passed("coze (the default): version 1 wire (post, then client_id alone); client_auth set "
              "applies to both steps");
}

/* Removes the scratch directory's files and directories (one level, plus store/tokens). */
static void remove_tree(const char *dir) {
  DIR *listing = opendir(dir);
  if (listing == NULL) return;
  struct dirent *entry;
  while ((entry = readdir(listing)) != NULL) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
    struct stat info;
    if (lstat(path, &info) != 0) continue;
    if (S_ISDIR(info.st_mode)) {
      remove_tree(path);
      rmdir(path);
    } else {
      unlink(path);
    }
  }
  closedir(listing);
}

int main(void) {
  clear_coze_environment();
  const char *tmp = getenv("TMPDIR");
  snprintf(scratch, sizeof scratch, "%s/wi-c-flows.XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
  CHECK(mkdtemp(scratch) != NULL);

  test_client_credentials();
  test_private_key_jwt();
  test_client_id_alone();
  test_password();
  test_refresh_token();
  test_token_exchange();
  test_bad_subject_token_files();
  test_flow_none();
  test_expiry_and_peek();
  test_file_store();
  test_missing_settings();
  test_bad_private_keys();
  test_coze_default();

  remove_tree(scratch);
  CHECK(rmdir(scratch) == 0);
  return 0;
}
