/* test_threads.c: one client shared by 32 threads on a cold cache (one
 * refresh for all: the dev server sees one ID-token and one exchange request),
 * and identity isolation: a client whose identity differs in any part, a wrong
 * secret included, never receives another's token, even when both race. */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <string.h>

#include "harness.h"

#define THREADS 32

/* One thread's call and what it got; written by that thread, read after join. */
struct caller {
  const wi_client *client;
  pthread_barrier_t *start;
  wi_status status;
  char *token; /* a copy (malloc), NULL on failure */
  bool out_token_null_on_failure;
};

static void *get_token(void *argument) {
  struct caller *caller = argument;
  pthread_barrier_wait(caller->start);
  char *token = NOT_NULL_SENTINEL;
  wi_error *error = NULL;
  caller->status = wi_get_access_token(caller->client, &token, &error);
  if (caller->status == WI_STATUS_OK) {
    caller->token = strdup(token);
    wi_free_string(token);
  } else {
    caller->out_token_null_on_failure = token == NULL;
  }
  wi_error_free(error);
  return NULL;
}

/* Starts one thread per caller at the same moment and joins them. */
static void run_together(struct caller *callers, size_t count) {
  pthread_t threads[THREADS];
  pthread_barrier_t start;
  CHECK(count <= THREADS);
  CHECK(pthread_barrier_init(&start, NULL, (unsigned)count) == 0);
  for (size_t i = 0; i < count; i++) {
    callers[i].start = &start;
    CHECK(pthread_create(&threads[i], NULL, get_token, &callers[i]) == 0);
  }
  for (size_t i = 0; i < count; i++) CHECK(pthread_join(threads[i], NULL) == 0);
  pthread_barrier_destroy(&start);
}

static char *access_token(const wi_client *client) {
  char *token = NULL;
  CHECK_OK(wi_get_access_token(client, &token, &check_ok_error));
  char *copy = strdup(token);
  wi_free_string(token);
  return copy;
}

/* Returns the token every thread got (a copy). */
static char *test_shared_client_cold_cache(const wi_client *client) {
  struct caller callers[THREADS] = {0};
  for (size_t i = 0; i < THREADS; i++) callers[i].client = client;
  run_together(callers, THREADS);
  for (size_t i = 0; i < THREADS; i++) {
    CHECK(callers[i].status == WI_STATUS_OK);
    CHECK(callers[i].token != NULL && strncmp(callers[i].token, "at_", 3) == 0);
    CHECK(strcmp(callers[i].token, callers[0].token) == 0);
  }
  CHECK(dev_request_count("/oauth/token") == 1);
  CHECK(dev_request_count("/oauth/exchange") == 1);
  wi_stats stats = client_stats(client);
  CHECK(stats.server_requests == 2);
  CHECK(stats.refreshes_started == 1);
  for (size_t i = 1; i < THREADS; i++) free(callers[i].token);
  test_passed("32 threads, one client, cold cache: one token, 1 /oauth/token + 1 /oauth/exchange");
  return callers[0].token;
}

static void test_wrong_secret_isolated(const char *cached_token) {
  wi_client *impostor = dev_client(DEV_CLIENT_ID, "wrong-secret");
  char *token = NOT_NULL_SENTINEL;
  wi_error *error = NULL;
  wi_status status = wi_get_access_token(impostor, &token, &error);
  CHECK(token == NULL);
  check_failure(status, error, WI_STATUS_TOKEN_RETRIEVAL, 401, "invalid_client", false,
                "wrong-secret", cached_token);
  /* Its counters are its own. */
  CHECK(client_stats(impostor).cache_hits == 0);
  wi_client_free(impostor);
  test_passed("same client id, wrong secret: an error, never the cached token");
}

static void test_same_and_other_identities(const char *cached_token) {
  long token_requests = dev_request_count("/oauth/token");

  /* The same identity through another handle: the cached token, no request. */
  wi_client *twin = dev_client(DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  char *token = access_token(twin);
  CHECK(strcmp(token, cached_token) == 0);
  free(token);
  wi_client_free(twin);
  CHECK(dev_request_count("/oauth/token") == token_requests);

  /* Another client id. */
  wi_client *other = dev_client("other-client", "other-secret");
  token = access_token(other);
  CHECK(strcmp(token, cached_token) != 0);
  free(token);
  wi_client_free(other);
  CHECK(dev_request_count("/oauth/token") == token_requests + 1);

  /* The same credentials in another lane. */
  wi_options *options = dev_client_options(DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  CHECK_OK(wi_options_set(options, "server_env", "ppe_isolation", &check_ok_error));
  wi_client *lane = NULL;
  CHECK_OK(wi_client_new(options, &lane, &check_ok_error));
  wi_options_free(options);
  token = access_token(lane);
  CHECK(strcmp(token, cached_token) != 0);
  free(token);
  wi_client_free(lane);
  CHECK(dev_request_count("/oauth/token") == token_requests + 2);
  test_passed("identity = id + secret + endpoints + lane: same shares, different does not");
}

/* A right and a wrong secret for one cold client id, racing. */
static void test_racing_identities(void) {
  wi_client *genuine = dev_client("race-client", "race-secret");
  wi_client *impostor = dev_client("race-client", "not-the-race-secret");
  struct caller callers[THREADS] = {0};
  for (size_t i = 0; i < THREADS; i++) callers[i].client = i % 2 == 0 ? genuine : impostor;
  run_together(callers, THREADS);
  for (size_t i = 0; i < THREADS; i += 2) {
    CHECK(callers[i].status == WI_STATUS_OK);
    CHECK(strcmp(callers[i].token, callers[0].token) == 0);
  }
  for (size_t i = 1; i < THREADS; i += 2) {
    CHECK(callers[i].status == WI_STATUS_TOKEN_RETRIEVAL);
    CHECK(callers[i].token == NULL);
    CHECK(callers[i].out_token_null_on_failure);
  }
  for (size_t i = 0; i < THREADS; i++) free(callers[i].token);
  /* One refresh per identity: the genuine one's and the impostor's, each once. */
  CHECK(client_stats(genuine).refreshes_started == 1);
  CHECK(client_stats(impostor).refreshes_started == 1);
  wi_client_free(genuine);
  wi_client_free(impostor);
  test_passed("16 threads with the right secret, 16 with a wrong one: no token crosses over");
}

int main(void) {
  dev_control("config", "{\"clients\":[[\"other-client\",\"other-secret\"],[\"race-client\",\"race-secret\"]]}");
  wi_client *client = dev_client(DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  char *token = test_shared_client_cold_cache(client);
  test_wrong_secret_isolated(token);
  test_same_and_other_identities(token);
  free(token);
  wi_client_free(client);
  test_racing_identities();
  return 0;
}
