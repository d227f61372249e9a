/* Cached calls per second at 1, 2, 4 and 8 pthreads on one client (C ABI),
 * next to the C floor at the same thread counts: how far the machine itself
 * scales (two shared vCPUs may be one core's two hyperthreads), and the CPUs each round got. */
#include <stdio.h>
#include <time.h>

#include "harness.h"

void bench_scaling(void);

static wi_client *client;

static void get_and_free(void) {
    char *token = NULL;
    wi_error *error = NULL;
    bench_check(wi_get_access_token(client, &token, &error), error, "wi_get_access_token");
    BENCH_KEEP(token);
    wi_free_string(token);
}

/* The floor of cached.c: a monotonic clock read and a comparison. */
static void floor_check(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    BENCH_KEEP(now.tv_sec);
}

static void measure(const char *name, const char *role, void (*call)(void)) {
    const int threads[] = {1, 2, 4, 8};
    int rounds = (bench_rounds() + 1) / 2;
    for (size_t i = 0; i < sizeof threads / sizeof threads[0]; i++) {
        double samples[BENCH_MAX_ROUNDS], cpus[BENCH_MAX_ROUNDS];
        char extra[64 + 8 * BENCH_MAX_ROUNDS];
        int count = bench_calls_per_second(threads[i], rounds, 200, call, samples, cpus);
        int used = snprintf(extra, sizeof extra, ",\"threads\":%d,\"cpus\":[", threads[i]);
        for (int round = 0; round < count; round++)
            used += snprintf(extra + used, sizeof extra - (size_t)used, "%s%.3f", round ? "," : "", cpus[round]);
        snprintf(extra + used, sizeof extra - (size_t)used, "]");
        bench_emit("scaling", "C", name, role, "calls/s", samples, count, extra);
    }
}

void bench_scaling(void) {
    client = bench_warm_client();
    measure("wi_get_access_token + wi_free_string", "library", get_and_free);
    measure("floor: clock_gettime check", "floor", floor_check);
    wi_client_free(client);
}
