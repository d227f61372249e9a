/* test_delegation.c: tokens on behalf of users through the C ABI: the cached
 * wi_exchange_token and wi_get_delegated_token (one request per exchange, 64
 * threads on one user cause one request, a user never receives another's
 * token), bad input, a refused user token (not retryable, not cached, no token
 * in the message), wi_invalidate_token of an exchanged token, the
 * exchange_cache_size option and the exchange counters of wi_stats. */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "harness.h"

#define USERS 8
#define THREADS 64
#define CALLS_PER_THREAD 20

/* A user token of the dev server for user `subject` (caller frees). */
static char *user_token(const char *subject) {
  char body[256];
  snprintf(body, sizeof body, "{\"kind\":\"access\",\"client_id\":\"dev-client\",\"subject\":\"%s\"}",
           subject);
  char response[512];
  CHECK(dev_request("POST", "/_dev/tokens", body, response, sizeof response) == 200);
  const char *start = strstr(response, "\"token\":\"");
  CHECK(start != NULL);
  start += strlen("\"token\":\"");
  const char *end = strchr(start, '"');
  CHECK(end != NULL);
  return strndup(start, (size_t)(end - start));
}

/* The delegated token of `user` (a copy; caller frees). */
static char *delegated(const wi_client *client, const char *user, const char *audience,
                       const char *scope) {
  char *token = NOT_NULL_SENTINEL;
  wi_error *error = NULL;
  wi_status status = wi_get_delegated_token(client, user, audience, scope, &token, &error);
  CHECK_ERR(status == WI_STATUS_OK, error);
  CHECK(error == NULL && token != NULL && strncmp(token, "at_", 3) == 0);
  char *copy = strdup(token);
  wi_free_string(token);
  return copy;
}

static long exchanges(void) { return dev_request_count("/oauth/exchange"); }

static void test_delegation_is_cached_per_user_audience_and_scope(const wi_client *client) {
  char *alice = user_token("alice");
  char *bob = user_token("bob");
  char *own = NULL;
  CHECK_OK(wi_get_access_token(client, &own, &check_ok_error));
  long before = exchanges();
  char *for_alice = delegated(client, alice, NULL, NULL);
  char *again = delegated(client, alice, NULL, NULL);
  CHECK(strcmp(for_alice, again) == 0);
  CHECK(strcmp(for_alice, own) != 0);
  CHECK(exchanges() == before + 1);
  char *for_bob = delegated(client, bob, NULL, NULL);
  CHECK(strcmp(for_bob, for_alice) != 0);
  char *with_audience = delegated(client, alice, "orders", NULL);
  char *with_scope = delegated(client, alice, NULL, "orders:read");
  char *with_both = delegated(client, alice, "orders", "orders:read");
  CHECK(strcmp(with_audience, for_alice) != 0 && strcmp(with_scope, with_audience) != 0);
  CHECK(strcmp(with_both, with_scope) != 0 && strcmp(with_both, with_audience) != 0);
  CHECK(exchanges() == before + 5);
  char *cached = delegated(client, alice, "orders", "orders:read");
  CHECK(strcmp(cached, with_both) == 0);
  CHECK(exchanges() == before + 5);

  wi_stats stats = client_stats(client);
  CHECK(stats.exchange_cache_misses == 5);
  CHECK(stats.exchange_cache_hits == 2);
  CHECK(stats.exchange_cache_evictions == 0);
  wi_free_string(own);
  free(alice), free(bob), free(for_alice), free(again), free(for_bob);
  free(with_audience), free(with_scope), free(with_both), free(cached);
  test_passed("wi_get_delegated_token: cached per user, audience and scope; counted in wi_stats");
}

static void test_exchange_is_cached(const wi_client *client) {
  char *subject = user_token("carol");
  wi_exchange_params params = {0};
  params.subject_token = subject;
  params.audience = "billing";
  long before = exchanges();
  char *first = NULL, *second = NULL, *other = NULL;
  CHECK_OK(wi_exchange_token(client, &params, &first, &check_ok_error));
  CHECK_OK(wi_exchange_token(client, &params, &second, &check_ok_error));
  CHECK(strcmp(first, second) == 0);
  CHECK(exchanges() == before + 1);
  params.audience = "billinG"; /* one byte differs: another exchange */
  CHECK_OK(wi_exchange_token(client, &params, &other, &check_ok_error));
  CHECK(strcmp(first, other) != 0);
  CHECK(exchanges() == before + 2);
  wi_free_string(first), wi_free_string(second), wi_free_string(other);
  free(subject);
  test_passed("wi_exchange_token results are cached per parameter");
}

/* Threads delegating for the users in turn: each checks that it only ever sees its user's token. */
struct worker {
  const wi_client *client;
  pthread_barrier_t *start;
  char **users;        /* USERS user tokens */
  char **expected;     /* the delegated token of each user, or NULL: the cold run */
  char *seen[USERS];   /* cold run: what this thread got for each user */
  int index;
  bool mixed_up;
};

static void *delegate_in_turn(void *argument) {
  struct worker *worker = argument;
  pthread_barrier_wait(worker->start);
  for (int call = 0; call < CALLS_PER_THREAD; call++) {
    int user = (worker->index + call) % USERS;
    char *token = NULL;
    wi_error *error = NULL;
    if (wi_get_delegated_token(worker->client, worker->users[user], NULL, NULL, &token, &error) !=
        WI_STATUS_OK) {
      wi_error_free(error);
      worker->mixed_up = true;
      continue;
    }
    const char *want = worker->expected != NULL ? worker->expected[user] : worker->seen[user];
    if (want == NULL) {
      worker->seen[user] = strdup(token);
    } else if (strcmp(want, token) != 0) {
      worker->mixed_up = true;
    }
    wi_free_string(token);
  }
  return NULL;
}

static void run_workers(const wi_client *client, char **users, char **expected,
                        struct worker *workers) {
  pthread_t threads[THREADS];
  pthread_barrier_t start;
  CHECK(pthread_barrier_init(&start, NULL, THREADS) == 0);
  for (int i = 0; i < THREADS; i++) {
    workers[i] = (struct worker){.client = client, .start = &start, .users = users,
                                 .expected = expected, .index = i};
    CHECK(pthread_create(&threads[i], NULL, delegate_in_turn, &workers[i]) == 0);
  }
  for (int i = 0; i < THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
  pthread_barrier_destroy(&start);
}

static void test_threads_never_mix_users(void) {
  wi_client *client = dev_client(DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  char *own = NULL;
  CHECK_OK(wi_get_access_token(client, &own, &check_ok_error));
  wi_free_string(own);
  char *users[USERS];
  for (int i = 0; i < USERS; i++) {
    char name[32];
    snprintf(name, sizeof name, "thread-user-%d", i);
    users[i] = user_token(name);
  }
  /* Cold: every user's first delegation races with the others'; each
   * exchange waits 150 ms at the server so that the callers pile up. */
  char fault[128];
  snprintf(fault, sizeof fault, "{\"path\":\"/oauth/exchange\",\"count\":%d,\"delay_ms\":150}", USERS);
  dev_control("faults", fault);
  long before = exchanges();
  static struct worker workers[THREADS];
  run_workers(client, users, NULL, workers);
  CHECK(exchanges() == before + USERS); /* one request per user, 64 threads */
  char *expected[USERS];
  for (int user = 0; user < USERS; user++) {
    expected[user] = NULL;
    for (int i = 0; i < THREADS; i++) {
      CHECK(!workers[i].mixed_up);
      if (workers[i].seen[user] == NULL) continue;
      if (expected[user] == NULL) expected[user] = strdup(workers[i].seen[user]);
      CHECK(strcmp(expected[user], workers[i].seen[user]) == 0);
    }
    CHECK(expected[user] != NULL);
    for (int other = 0; other < user; other++) CHECK(strcmp(expected[other], expected[user]) != 0);
  }
  for (int i = 0; i < THREADS; i++)
    for (int user = 0; user < USERS; user++) free(workers[i].seen[user]);
  /* Warm: every call is a cache hit, and each thread sees its users' tokens. */
  run_workers(client, users, expected, workers);
  for (int i = 0; i < THREADS; i++) CHECK(!workers[i].mixed_up);
  CHECK(exchanges() == before + USERS);
  for (int i = 0; i < USERS; i++) free(users[i]), free(expected[i]);
  wi_client_free(client);
  test_passed("64 threads delegating for 8 users: one request per user, never another user's token");
}

static void test_bad_input(const wi_client *client) {
  char *token = NOT_NULL_SENTINEL;
  wi_error *error = NULL;
  CHECK(wi_get_delegated_token(client, NULL, NULL, NULL, &token, &error) ==
        WI_STATUS_INVALID_ARGUMENT);
  CHECK(token == NULL && error != NULL && contains(wi_error_message(error), "user_token"));
  wi_error_free(error);
  token = NOT_NULL_SENTINEL;
  error = NULL;
  CHECK(wi_get_delegated_token(client, "", "aud", NULL, &token, &error) ==
        WI_STATUS_INVALID_ARGUMENT);
  CHECK(token == NULL && contains(wi_error_message(error), "user_token"));
  wi_error_free(error);
  token = NOT_NULL_SENTINEL;
  CHECK(wi_get_delegated_token(NULL, "at_x", NULL, NULL, &token, NULL) ==
        WI_STATUS_INVALID_ARGUMENT);
  CHECK(token == NULL);
  CHECK(wi_get_delegated_token(client, "at_x", NULL, NULL, NULL, NULL) ==
        WI_STATUS_INVALID_ARGUMENT);
  const char invalid_utf8[] = {'a', 't', '_', (char)0xff, 0};
  token = NOT_NULL_SENTINEL;
  CHECK(wi_get_delegated_token(client, invalid_utf8, NULL, NULL, &token, NULL) ==
        WI_STATUS_INVALID_ARGUMENT);
  CHECK(token == NULL);
  token = NOT_NULL_SENTINEL;
  CHECK(wi_get_delegated_token(client, "at_x", invalid_utf8, NULL, &token, NULL) ==
        WI_STATUS_INVALID_ARGUMENT);
  CHECK(token == NULL);
  test_passed("wi_get_delegated_token: NULL, empty and non-UTF-8 arguments");
}

static void test_refused_user_token(const wi_client *client) {
  const char *expired = "at_0123456789abcdef0123456789abcdef";
  for (int attempt = 0; attempt < 2; attempt++) {
    long before = exchanges();
    char *token = NOT_NULL_SENTINEL;
    wi_error *error = NULL;
    wi_status status = wi_get_delegated_token(client, expired, NULL, NULL, &token, &error);
    CHECK(token == NULL);
    CHECK_ERR(contains(wi_error_message(error), "refused the user token"), error);
    check_failure(status, error, WI_STATUS_TOKEN_EXCHANGE, 400, "invalid_grant", false,
                  DEV_CLIENT_SECRET, expired);
    CHECK(exchanges() == before + 1); /* not retried, and not cached: asked again */
  }
  test_passed("a refused user token: not retryable, not cached, no token in the message");
}

static void test_invalidation_drops_the_exchanged_token(const wi_client *client) {
  char *user = user_token("dave");
  char *first = delegated(client, user, NULL, NULL);
  CHECK_OK(wi_invalidate_token(client, first, &check_ok_error));
  char *second = delegated(client, user, NULL, NULL);
  CHECK(strcmp(first, second) != 0);
  char *third = delegated(client, user, NULL, NULL);
  CHECK(strcmp(second, third) == 0);
  free(user), free(first), free(second), free(third);
  test_passed("wi_invalidate_token drops an exchanged token");
}

static void test_cache_size_option(void) {
  wi_options *options = dev_client_options(DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  wi_error *error = NULL;
  CHECK(wi_options_set(options, "exchange_cache_size", "-1", &error) ==
        WI_STATUS_INVALID_ARGUMENT);
  CHECK(contains(wi_error_message(error), "exchange_cache_size"));
  wi_error_free(error);
  CHECK_OK(wi_options_set(options, "exchange_cache_size", "0", &check_ok_error));
  wi_client *client = NULL;
  CHECK_OK(wi_client_new(options, &client, &check_ok_error));
  wi_options_free(options);
  char *user = user_token("erin");
  long before = exchanges();
  char *first = delegated(client, user, NULL, NULL);
  char *second = delegated(client, user, NULL, NULL);
  CHECK(strcmp(first, second) != 0);
  CHECK(exchanges() == before + 2); /* the access token is cached for the identity */
  free(user), free(first), free(second);
  wi_client_free(client);
  test_passed("exchange_cache_size=0 disables the cache; a bad value names the key");
}

static void test_stats_of_an_older_caller(const wi_client *client) {
  /* A caller built before the exchange counters: they are not written. */
  wi_stats older;
  memset(&older, 0xAB, sizeof older);
  older.struct_size = (uint32_t)offsetof(wi_stats, exchange_cache_hits);
  CHECK(wi_client_stats(client, &older) == WI_STATUS_OK);
  CHECK(older.struct_size == offsetof(wi_stats, exchange_cache_hits));
  CHECK(older.server_requests > 0);
  const unsigned char *tail = (const unsigned char *)&older.exchange_cache_hits;
  for (size_t i = 0; i < sizeof(wi_stats) - offsetof(wi_stats, exchange_cache_hits); i++)
    CHECK(tail[i] == 0xAB);
  test_passed("wi_client_stats: a caller without the exchange counters keeps its memory");
}

int main(void) {
  wi_client *client = dev_client(DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  test_delegation_is_cached_per_user_audience_and_scope(client);
  test_exchange_is_cached(client);
  test_bad_input(client);
  test_refused_user_token(client);
  test_invalidation_drops_the_exchanged_token(client);
  test_stats_of_an_older_caller(client);
  wi_client_free(client);
  test_threads_never_mix_users();
  test_cache_size_option();
  return 0;
}
