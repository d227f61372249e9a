/* Cached call, one thread: the C ABI next to the C floor. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

void bench_cached(void);

static wi_client *client;

/* The user token of the delegation and exchange rows: the client's own token
 * (a live access token of the dev server, as long as a real user's). */
static char user_token[512];

/* The floor's cache: a token and the second (CLOCK_MONOTONIC) it stops being served. */
static char floor_token[64];
static time_t floor_refresh_at;

/* The least any C cache does: a monotonic clock read, a comparison, a borrow. */
__attribute__((noinline)) static const char *floor_get(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec < floor_refresh_at ? floor_token : NULL;
}

static void get_and_free(uint64_t calls) {
    for (uint64_t i = 0; i < calls; i++) {
        char *token = NULL;
        wi_error *error = NULL;
        bench_check(wi_get_access_token(client, &token, &error), error, "wi_get_access_token");
        BENCH_KEEP(token);
        wi_free_string(token);
    }
}

static void delegated_and_free(uint64_t calls) {
    for (uint64_t i = 0; i < calls; i++) {
        char *token = NULL;
        wi_error *error = NULL;
        bench_check(wi_get_delegated_token(client, user_token, NULL, NULL, &token, &error), error,
                    "wi_get_delegated_token");
        BENCH_KEEP(token);
        wi_free_string(token);
    }
}

static void exchanged_and_free(uint64_t calls) {
    wi_exchange_params params = {0};
    params.subject_token = user_token;
    params.audience = "https://orders.example";
    for (uint64_t i = 0; i < calls; i++) {
        char *token = NULL;
        wi_error *error = NULL;
        bench_check(wi_exchange_token(client, &params, &token, &error), error, "wi_exchange_token");
        BENCH_KEEP(token);
        wi_free_string(token);
    }
}

static void into_stack_buffer(uint64_t calls) {
    for (uint64_t i = 0; i < calls; i++) {
        char buffer[512];
        size_t length = 0;
        wi_error *error = NULL;
        bench_check(wi_get_access_token_into(client, buffer, sizeof buffer, &length, &error), error,
                    "wi_get_access_token_into");
        BENCH_KEEP(buffer);
    }
}

static void floor_borrow(uint64_t calls) {
    for (uint64_t i = 0; i < calls; i++) {
        const char *token = floor_get();
        BENCH_KEEP(token);
    }
}

static void floor_copy(uint64_t calls) {
    for (uint64_t i = 0; i < calls; i++) {
        const char *token = floor_get();
        size_t length = strlen(token) + 1;
        char *copy = malloc(length);
        memcpy(copy, token, length);
        BENCH_KEEP(copy);
        free(copy);
    }
}

void bench_cached(void) {
    client = bench_warm_client();
    char token[512];
    size_t length = 0;
    wi_error *error = NULL;
    bench_check(wi_get_access_token_into(client, token, sizeof token, &length, &error), error, "into");
    /* A token of the same length as the real one. */
    memset(floor_token, 'x', length < sizeof floor_token ? length : sizeof floor_token - 1);
    memcpy(user_token, token, length + 1);
    memset(token, 0, sizeof token);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    floor_refresh_at = now.tv_sec + 3000;

    const char *borrow = "floor: clock_gettime check + borrow";
    const char *copy = "floor: clock_gettime check + malloc copy + free";
    const bench_row rows[] = {
        {"wi_get_access_token + wi_free_string", copy, get_and_free},
        {"wi_get_access_token_into (stack buffer)", borrow, into_stack_buffer},
        {"wi_get_delegated_token + wi_free_string (cached)", copy, delegated_and_free},
        {"wi_exchange_token + wi_free_string (cached)", copy, exchanged_and_free},
        {borrow, NULL, floor_borrow},
        {copy, NULL, floor_copy},
    };
    bench_run_suite("cached", "C", rows, sizeof rows / sizeof rows[0]);
    wi_client_free(client);
}
