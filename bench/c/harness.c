#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int env_int(const char *name, int fallback) {
    const char *value = getenv(name);
    int parsed = value ? atoi(value) : 0;
    return parsed > 0 ? parsed : fallback;
}

int bench_rounds(void) {
    int rounds = env_int("WI_BENCH_ROUNDS", 15);
    return rounds > BENCH_MAX_ROUNDS ? BENCH_MAX_ROUNDS : rounds;
}

uint64_t bench_now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* Warms `row` up; returns the calls that take about one round. */
static uint64_t calibrate(const bench_row *row, uint64_t round_ns) {
    for (uint64_t calls = 64;; calls *= 2) {
        uint64_t started = bench_now_ns();
        row->run(calls);
        uint64_t elapsed = bench_now_ns() - started;
        if (elapsed >= round_ns / 4) {
            uint64_t scaled = (uint64_t)((double)calls * (double)round_ns / (double)elapsed);
            return scaled ? scaled : 1;
        }
    }
}

void bench_run_suite(const char *bench, const char *lang, const bench_row *rows, size_t count) {
    uint64_t round_ns = (uint64_t)env_int("WI_BENCH_ROUND_MS", 40) * 1000000u;
    int rounds = bench_rounds();
    uint64_t *calls = calloc(count, sizeof *calls);
    double *samples = calloc(count * BENCH_MAX_ROUNDS, sizeof *samples);
    if (!calls || !samples) {
        fprintf(stderr, "c-bench: out of memory\n");
        exit(1);
    }
    for (size_t row = 0; row < count; row++) calls[row] = calibrate(&rows[row], round_ns);
    for (int round = 0; round < rounds; round++) {
        for (size_t row = 0; row < count; row++) {
            uint64_t started = bench_now_ns();
            rows[row].run(calls[row]);
            samples[row * BENCH_MAX_ROUNDS + (size_t)round] = (double)(bench_now_ns() - started) / (double)calls[row];
        }
    }
    for (size_t row = 0; row < count; row++) {
        char extra[256] = "";
        if (rows[row].floor) snprintf(extra, sizeof extra, ",\"floor\":\"%s\"", rows[row].floor);
        bench_emit(bench, lang, rows[row].name, rows[row].floor ? "library" : "floor", "ns/call",
                   &samples[row * BENCH_MAX_ROUNDS], rounds, extra);
    }
    free(calls);
    free(samples);
}

typedef struct worker {
    pthread_barrier_t *start;
    atomic_bool *stop;
    void (*call)(void);
    uint64_t calls;
    uint64_t cpu_ns;
} worker;

/* CPU time of the calling thread. */
static uint64_t thread_cpu_ns(void) {
    struct timespec used;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &used);
    return (uint64_t)used.tv_sec * 1000000000u + (uint64_t)used.tv_nsec;
}

static void *work(void *argument) {
    worker *self = argument;
    pthread_barrier_wait(self->start);
    uint64_t started = thread_cpu_ns();
    uint64_t calls = 0;
    while (!atomic_load_explicit(self->stop, memory_order_relaxed)) {
        self->call();
        calls++;
    }
    self->calls = calls;
    self->cpu_ns = thread_cpu_ns() - started;
    return NULL;
}

int bench_calls_per_second(int threads, int rounds, int window_ms, void (*call)(void), double *samples,
                           double *cpus) {
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    worker *workers = calloc((size_t)threads, sizeof *workers);
    if (!ids || !workers) {
        fprintf(stderr, "c-bench: out of memory\n");
        exit(1);
    }
    for (int round = 0; round < rounds; round++) {
        pthread_barrier_t start;
        atomic_bool stop = false;
        pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
        for (int i = 0; i < threads; i++) {
            workers[i] = (worker){.start = &start, .stop = &stop, .call = call};
            if (pthread_create(&ids[i], NULL, work, &workers[i]) != 0) {
                fprintf(stderr, "c-bench: pthread_create failed\n");
                exit(1);
            }
        }
        pthread_barrier_wait(&start);
        uint64_t started = bench_now_ns();
        struct timespec window = {.tv_sec = window_ms / 1000, .tv_nsec = (long)(window_ms % 1000) * 1000000L};
        nanosleep(&window, NULL);
        atomic_store(&stop, true);
        uint64_t elapsed = bench_now_ns() - started;
        uint64_t total = 0, cpu_ns = 0;
        for (int i = 0; i < threads; i++) {
            pthread_join(ids[i], NULL);
            total += workers[i].calls;
            cpu_ns += workers[i].cpu_ns;
        }
        pthread_barrier_destroy(&start);
        samples[round] = (double)total * 1e9 / (double)elapsed;
        cpus[round] = (double)cpu_ns / (double)elapsed;
    }
    free(ids);
    free(workers);
    return rounds;
}

void bench_emit(const char *bench, const char *lang, const char *name, const char *role, const char *unit,
                const double *samples, int count, const char *extra) {
    printf("{\"bench\":\"%s\",\"lang\":\"%s\",\"name\":\"%s\",\"role\":\"%s\",\"unit\":\"%s\",\"samples\":[", bench,
           lang, name, role, unit);
    for (int i = 0; i < count; i++) printf("%s%.3f", i ? "," : "", samples[i]);
    printf("]%s}\n", extra);
    fflush(stdout);
}

void bench_check(wi_status status, wi_error *error, const char *what) {
    if (status == WI_STATUS_OK) return;
    fprintf(stderr, "c-bench: %s: %s\n", what, error ? wi_error_message(error) : "failed");
    exit(1);
}

wi_client *bench_warm_client(void) {
    const char *base = getenv("WI_BENCH_URL");
    if (!base) {
        fprintf(stderr, "c-bench: WI_BENCH_URL is not set\n");
        exit(2);
    }
    char token_endpoint[512], access_token_endpoint[512];
    snprintf(token_endpoint, sizeof token_endpoint, "%s/oauth/token", base);
    snprintf(access_token_endpoint, sizeof access_token_endpoint, "%s/oauth/exchange", base);
    const char *settings[][2] = {
        {"client_id", "dev-client"},
        {"client_secret", "dev-secret"},
        {"token_endpoint", token_endpoint},
        {"access_token_endpoint", access_token_endpoint},
    };
    wi_error *error = NULL;
    wi_options *options = wi_options_new();
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        bench_check(wi_options_set(options, settings[i][0], settings[i][1], &error), error, settings[i][0]);
    wi_client *client = NULL;
    bench_check(wi_client_new(options, &client, &error), error, "wi_client_new");
    wi_options_free(options);
    char *token = NULL;
    bench_check(wi_get_access_token(client, &token, &error), error, "wi_get_access_token");
    wi_free_string(token);
    return client;
}
