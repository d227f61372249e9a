/* test_fork.c: a process that forks while a refresh is in flight gets working
 * clients on both sides: the child neither waits for the parent's refresh
 * thread (it does not exist there) nor shares the parent's connections, and
 * the parent's refresh completes as if nothing happened. Then 20 children
 * forked while other threads wait on every lock of the library all finish
 * (a child still running after 20 s counts as hung: it is killed, and fails
 * the test); not under AddressSanitizer, whose allocator is not fork-safe. */
#define _POSIX_C_SOURCE 200809L

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static void *refresh_in_flight(void *client) {
  char *token = NULL;
  wi_status status = wi_get_access_token(client, &token, NULL);
  wi_free_string(token);
  return (void *)(uintptr_t)status;
}

/* In the child: a token (its own refresh), the same token again from the
 * cache, and a forced refresh giving a new one. Returns the exit code. */
static int child_uses_the_client(const wi_client *client) {
  char *first = NULL, *again = NULL, *fresh = NULL;
  if (wi_get_access_token(client, &first, NULL) != WI_STATUS_OK) return 2;
  if (wi_get_access_token(client, &again, NULL) != WI_STATUS_OK) return 3;
  if (wi_force_refresh(client, &fresh, NULL) != WI_STATUS_OK) return 4;
  int code = strcmp(first, again) != 0 ? 5 : strcmp(first, fresh) == 0 ? 6 : 0;
  wi_free_string(first);
  wi_free_string(again);
  wi_free_string(fresh);
  return code;
}

enum { FORKS = 20, CHILD_LIMIT_MS = 20000 };

/* AddressSanitizer's allocator (GCC 12's libsanitizer) takes no lock around
 * fork: a child forked while a parent thread is inside malloc can block for
 * good on an allocator lock, whatever the library does. The 20-fork part
 * runs in the shared, static and valgrind passes (glibc's malloc and
 * valgrind's are fork-safe) and is skipped, saying so, under ASan. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static atomic_bool stop_threads;
static atomic_long log_lines;

static void count_line(wi_log_level level, const char *message, void *user_data) {
  (void)level, (void)message, (void)user_data;
  atomic_fetch_add(&log_lines, 1);
}

/* The clients the threads and the children use. */
static wi_client *shared_client, *failing_client;

static void *loop_force_refresh(void *unused) {
  (void)unused;
  while (!atomic_load(&stop_threads)) {
    char *token = NULL;
    wi_force_refresh(shared_client, &token, NULL);
    wi_free_string(token);
  }
  return NULL;
}

static void *loop_get_and_invalidate(void *unused) {
  (void)unused;
  while (!atomic_load(&stop_threads)) {
    char *token = NULL;
    if (wi_get_access_token(shared_client, &token, NULL) == WI_STATUS_OK) {
      wi_invalidate_token(shared_client, token, NULL);
    }
    wi_free_string(token);
  }
  return NULL;
}

static void *loop_get(void *client) {
  while (!atomic_load(&stop_threads)) {
    char *token = NULL;
    wi_get_access_token(client, &token, NULL);
    wi_free_string(token);
  }
  return NULL;
}

/* The identity registry: clients created and freed. */
static void *loop_new_clients(void *unused) {
  (void)unused;
  while (!atomic_load(&stop_threads)) {
    wi_options *options = dev_client_options(DEV_CLIENT_ID, DEV_CLIENT_SECRET);
    wi_client *client = NULL;
    wi_client_new(options, &client, NULL);
    wi_options_free(options);
    wi_client_free(client);
  }
  return NULL;
}

static void *loop_set_log_callback(void *unused) {
  (void)unused;
  while (!atomic_load(&stop_threads)) {
    wi_set_log_callback(count_line, WI_LOG_DEBUG, NULL);
    sched_yield();
  }
  return NULL;
}

/* In a child forked among those threads: every lock again. Returns the exit code. */
static int child_takes_every_lock(void) {
  char *token = NULL;
  if (wi_get_access_token(shared_client, &token, NULL) != WI_STATUS_OK) return 2;
  wi_invalidate_token(shared_client, token, NULL);
  wi_free_string(token);
  token = NULL;
  if (wi_force_refresh(shared_client, &token, NULL) != WI_STATUS_OK) return 3;
  wi_free_string(token);
  token = NULL;
  wi_options *options = dev_client_options(DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  wi_client *client = NULL;
  wi_status status = wi_client_new(options, &client, NULL);
  wi_options_free(options);
  if (status != WI_STATUS_OK) return 4;
  status = wi_get_access_token(client, &token, NULL);
  wi_free_string(token);
  token = NULL;
  wi_client_free(client);
  if (status != WI_STATUS_OK) return 5;
  if (wi_get_access_token(failing_client, &token, NULL) == WI_STATUS_OK) return 6;
  if (wi_set_log_callback(NULL, WI_LOG_ERROR, NULL) != WI_STATUS_OK) return 7;
  return 0;
}

static long elapsed_ms(const struct timespec *since) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static void forks_while_threads_wait_on_every_lock(void) {
  /* One-second tokens and slow answers: callers keep waiting on refreshes. */
  dev_control("config", "{\"ttl\":1}");
  dev_control("faults", "{\"path\":\"*\",\"kind\":\"delay\",\"delay_ms\":30,\"count\":1000000}");
  shared_client = dev_client(DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  /* A second identity that never gets a token: its callers draw on its retry budget. */
  wi_options *options = wi_options_new();
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/token", closed_port());
  CHECK_OK(wi_options_set(options, "client_id", "fork-failing", &check_ok_error));
  CHECK_OK(wi_options_set(options, "client_secret", "fork-failing-secret", &check_ok_error));
  CHECK_OK(wi_options_set(options, "token_endpoint", url, &check_ok_error));
  CHECK_OK(wi_options_set(options, "access_token_endpoint", url, &check_ok_error));
  CHECK_OK(wi_options_set(options, "max_retries", "10", &check_ok_error));
  CHECK_OK(wi_options_set(options, "deadline_ms", "300", &check_ok_error));
  CHECK_OK(wi_client_new(options, &failing_client, &check_ok_error));
  wi_options_free(options);
  CHECK(wi_set_log_callback(count_line, WI_LOG_DEBUG, NULL) == WI_STATUS_OK);

  struct {
    void *(*run)(void *);
    wi_client *client;
  } loops[] = {
      {loop_force_refresh, NULL},      {loop_force_refresh, NULL}, {loop_get_and_invalidate, NULL},
      {loop_get_and_invalidate, NULL}, {loop_get, shared_client},  {loop_get, shared_client},
      {loop_get, failing_client},      {loop_new_clients, NULL},   {loop_set_log_callback, NULL},
  };
  enum { THREADS = sizeof loops / sizeof loops[0] };
  pthread_t threads[THREADS];
  for (size_t i = 0; i < THREADS; i++) {
    CHECK(pthread_create(&threads[i], NULL, loops[i].run, loops[i].client) == 0);
  }

  pid_t children[FORKS];
  int reports[FORKS];
  for (int i = 0; i < FORKS; i++) {
    struct timespec gap = {0, 40 * 1000 * 1000};
    nanosleep(&gap, NULL);
    int report[2];
    CHECK(pipe(report) == 0);
    children[i] = fork();
    CHECK(children[i] >= 0);
    if (children[i] == 0) {
      unsigned char code = (unsigned char)child_takes_every_lock();
      if (write(report[1], &code, 1) != 1) _exit(8);
      kill(getpid(), SIGKILL);
    }
    close(report[1]);
    reports[i] = report[0];
  }

  struct timespec started;
  clock_gettime(CLOCK_MONOTONIC, &started);
  int failed = 0;
  for (int i = 0; i < FORKS; i++) {
    long left = CHILD_LIMIT_MS - elapsed_ms(&started);
    struct pollfd ready = {reports[i], POLLIN, 0};
    unsigned char code = 99;
    if (poll(&ready, 1, left > 0 ? (int)left : 0) == 1 && read(reports[i], &code, 1) == 1) {
      if (code != 0) fprintf(stderr, "child %d failed at step %d\n", i, code);
    } else {
      fprintf(stderr, "child %d hung: killed after %d ms\n", i, CHILD_LIMIT_MS);
      kill(children[i], SIGKILL);
    }
    failed += code != 0;
    close(reports[i]);
    int status = 0;
    CHECK(waitpid(children[i], &status, 0) == children[i]);
  }
  atomic_store(&stop_threads, true);
  for (size_t i = 0; i < THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
  CHECK(wi_set_log_callback(NULL, WI_LOG_ERROR, NULL) == WI_STATUS_OK);
  CHECK(atomic_load(&log_lines) > 0);
  wi_client_free(failing_client);
  wi_client_free(shared_client);
  CHECK(failed == 0);
  test_passed("20 forks while threads wait on every lock: no child hangs");
}

int main(void) {
  wi_client *client = dev_client(DEV_CLIENT_ID, DEV_CLIENT_SECRET);
  /* Hold the parent's first ID-token request for 800 ms: the refresh is in flight. */
  dev_control("faults", "{\"path\":\"/oauth/token\",\"kind\":\"delay\",\"delay_ms\":800}");
  pthread_t refresher;
  CHECK(pthread_create(&refresher, NULL, refresh_in_flight, client) == 0);
  struct timespec pause = {0, 200 * 1000 * 1000};
  nanosleep(&pause, NULL);

  /* The child reports through a pipe, then ends with SIGKILL, as a pre-fork
   * worker might: no exit handlers, and no leak check of memory that belonged
   * to the parent's threads when run under valgrind. */
  int report[2];
  CHECK(pipe(report) == 0);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    unsigned char code = (unsigned char)child_uses_the_client(client);
    if (write(report[1], &code, 1) != 1) _exit(7);
    kill(getpid(), SIGKILL);
  }
  close(report[1]);
  unsigned char code = 99;
  CHECK(read(report[0], &code, 1) == 1);
  close(report[0]);
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  if (code != 0) fprintf(stderr, "the child failed at step %d\n", code);
  CHECK(code == 0);
  void *result = NULL;
  CHECK(pthread_join(refresher, &result) == 0);
  CHECK((wi_status)(uintptr_t)result == WI_STATUS_OK);
  test_passed("fork with a refresh in flight: the child refreshes on its own, the parent's refresh completes");

  char *token = NULL;
  CHECK_OK(wi_get_access_token(client, &token, &check_ok_error));
  wi_free_string(token);
  CHECK(dev_request_count("/oauth/token") >= 3);
  test_passed("after the fork the parent's client keeps working");
  wi_client_free(client);

  if (UNDER_ASAN) {
    test_passed("skip - 20 forks while threads wait: ASan's allocator is not fork-safe (see UNDER_ASAN)");
  } else {
    forks_while_threads_wait_on_every_lock();
  }
  return 0;
}
