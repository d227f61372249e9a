/*
 * harness.h: what every C test program shares: fatal checks, the dev server
 * started by bindings/c/with-devserver.sh (its port comes from WI_DEVSERVER_PORT),
 * its /_dev/ control API over a raw loopback socket, and clients configured
 * for it.
 *
 * Checks print the failing expression and exit(1): a test program stops at its
 * first failure. Nothing here prints a token or a secret. The helpers are
 * thread-safe except dev_client_options and the CHECK counters, which only the
 * main thread uses.
 */
#ifndef WI_TEST_HARNESS_H
#define WI_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "workload_identity.h"

/* The default credentials of the dev server. */
#define DEV_CLIENT_ID "dev-client"
#define DEV_CLIENT_SECRET "dev-secret"

/* A non-NULL pointer that no allocation returns: out-parameters are preset to
 * it to prove that a failing call resets them to NULL. */
#define NOT_NULL_SENTINEL ((void *)(uintptr_t)0x1)

#define CHECK(condition)                                                                 \
  do {                                                                                   \
    if (!(condition)) check_failed(__FILE__, __LINE__, #condition, NULL);                \
  } while (0)

/* Fails with the message of `error` (a wi_error *, may be NULL) when `condition` is false. */
#define CHECK_ERR(condition, error)                                                      \
  do {                                                                                   \
    if (!(condition)) check_failed(__FILE__, __LINE__, #condition, (error));             \
  } while (0)

/* Runs `call`, which passes `&check_ok_error` as its out_error, and requires
 * WI_STATUS_OK with no error; on failure prints the error's message. */
#define CHECK_OK(call)                                                                   \
  do {                                                                                   \
    wi_error *check_ok_error = NULL;                                                     \
    wi_status check_ok_status = (call);                                                  \
    if (check_ok_status != WI_STATUS_OK)                                                 \
      check_failed(__FILE__, __LINE__, #call " == WI_STATUS_OK", check_ok_error);        \
    CHECK(check_ok_error == NULL);                                                       \
  } while (0)

/* Prints where a check failed (and the error's status and message) and exits with 1. */
void check_failed(const char *file, int line, const char *expression, const wi_error *error);

/* Prints "ok - name": the test programs' progress lines. */
void test_passed(const char *name);

/* The dev server's port, from WI_DEVSERVER_PORT (exits when unset). */
int dev_port(void);

/* Writes "http://127.0.0.1:PORT<path>" into `url`. */
void dev_url(char *url, size_t size, const char *path);

/*
 * Sends one HTTP/1.1 request to the dev server (body sent as JSON when not
 * NULL) and returns the status; the response body, NUL-terminated and
 * truncated to fit, goes to `response` when it is not NULL.
 */
int dev_request(const char *method, const char *path, const char *json_body, char *response,
                size_t response_size);

/* POSTs `json_body` to /_dev/<what> (e.g. "faults", "reset") and requires 200. */
void dev_control(const char *what, const char *json_body);

/* How many requests to `protocol_path` (e.g. "/oauth/token") the dev server has seen. */
long dev_request_count(const char *protocol_path);

/* Options for the dev server: client id, secret and the three endpoints. */
wi_options *dev_client_options(const char *client_id, const char *client_secret);

/* A client for the dev server with the given credentials (exits on failure). */
wi_client *dev_client(const char *client_id, const char *client_secret);

/* The identity's counters (struct_size set to the full size). */
wi_stats client_stats(const wi_client *client);

/*
 * Checks a failure: its status, the error's status, HTTP status, OAuth code
 * (NULL: none expected) and retryable flag; that the message is non-empty and
 * holds neither `secret` nor `token` (either may be NULL); then frees `error`.
 */
void check_failure(wi_status status, wi_error *error, wi_status expected_status,
                   unsigned expected_http_status, const char *expected_oauth_code,
                   bool expected_retryable, const char *secret, const char *token);

/* True when `haystack` contains `needle`. */
bool contains(const char *haystack, const char *needle);

/* A loopback port with nothing listening on it (bound, then closed). */
int closed_port(void);

/* Removes every COZE_* variable (bindings/c/with-devserver.sh exports them). */
void clear_coze_environment(void);

#endif /* WI_TEST_HARNESS_H */
