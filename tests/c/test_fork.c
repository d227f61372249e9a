/* test_fork.c: a process that forks while a refresh is in flight gets working
 * clients on both sides: the child neither waits for the parent's refresh
 * thread (it does not exist there) nor shares the parent's connections, and
 * the parent's refresh completes as if nothing happened. */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
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
  return 0;
}
