/* Timing and output for the C benchmarks: interleaved rounds of timed loops,
 * threads counting calls, and the JSON records that bench/report.py reads.
 * Not thread-safe except bench_calls_per_second, which runs its own threads. */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "workload_identity.h"

#define BENCH_MAX_ROUNDS 64

/* One measured row: `run` makes `calls` calls in a loop of its own (no
 * indirect call per iteration). `floor` names the floor row a library row is
 * compared with; NULL makes this row a floor. */
typedef struct bench_row {
    const char *name;
    const char *floor;
    void (*run)(uint64_t calls);
} bench_row;

/* Rounds per measurement ($WI_BENCH_ROUNDS, default 15, at most BENCH_MAX_ROUNDS). */
int bench_rounds(void);

/* Monotonic nanoseconds. */
uint64_t bench_now_ns(void);

/* Calibrates every row to about $WI_BENCH_ROUND_MS (default 40 ms) per round,
 * runs the rounds interleaved, and prints one "ns/call" record per row. */
void bench_run_suite(const char *bench, const char *lang, const bench_row *rows, size_t count);

/* Calls per second of `threads` threads each running `call` in a loop for
 * `window_ms`, once per round; returns the number of samples written. `cpus`
 * receives, per round, the CPUs the threads got: their CPU time over the
 * window (`threads` when the machine ran them all the whole time). */
int bench_calls_per_second(int threads, int rounds, int window_ms, void (*call)(void), double *samples,
                           double *cpus);

/* Prints one record; `extra` is "" or `,"key":value...`. */
void bench_emit(const char *bench, const char *lang, const char *name, const char *role, const char *unit,
                const double *samples, int count, const char *extra);

/* A client of dev-client against $WI_BENCH_URL with a warm cache; exits on failure. */
wi_client *bench_warm_client(void);

/* Exits with `what` and the library's message when `status` is not OK. */
void bench_check(wi_status status, wi_error *error, const char *what);

/* Keeps the compiler from dropping a computed value. */
#define BENCH_KEEP(value) __asm__ volatile("" : : "r"(value) : "memory")

#endif
