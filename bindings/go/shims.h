/*
 * shims.h: one-line C wrappers that return a call's outcome by value, so that
 * the out-parameters live on the C stack: no Go pointer crosses into C and
 * nothing escapes to the Go heap on the cached path.
 */
#ifndef WI_GO_SHIMS_H
#define WI_GO_SHIMS_H

#include "workload_identity.h"

/* The outcome of a call that returns a string: `value` (free with
 * wi_free_string) on success, else `error` (free with wi_error_free) or NULL. */
typedef struct wi_go_string_result {
  wi_status status;
  char *value;
  wi_error *error;
} wi_go_string_result;

/* wi_get_access_token_lease: the token and how long it may be reused locally. */
typedef struct wi_go_lease_result {
  wi_go_string_result outcome;
  uint32_t lease_ms;
} wi_go_lease_result;

static inline wi_go_lease_result wi_go_access_token_lease(const wi_client *client) {
  wi_go_lease_result r = {{0, 0, 0}, 0};
  r.outcome.status = wi_get_access_token_lease(client, &r.outcome.value, &r.lease_ms, &r.outcome.error);
  return r;
}

/* wi_peek_access_token_lease: a token without waiting on the network, or
 * value NULL when the caller must go to the network. */
typedef struct wi_go_peek_result {
  char *value;
  uint32_t lease_ms;
} wi_go_peek_result;

static inline wi_go_peek_result wi_go_peek_access_token_lease(const wi_client *client) {
  wi_go_peek_result r = {0, 0};
  if (!wi_peek_access_token_lease(client, &r.value, &r.lease_ms)) {
    r.value = 0;
  }
  return r;
}

/* wi_get_access_token_with_expiry: the token and its expiry (Unix ms). */
typedef struct wi_go_expiry_result {
  wi_go_string_result outcome;
  int64_t expires_at_unix_ms;
} wi_go_expiry_result;

static inline wi_go_expiry_result wi_go_access_token_with_expiry(const wi_client *client) {
  wi_go_expiry_result r = {{0, 0, 0}, 0};
  r.outcome.status = wi_get_access_token_with_expiry(client, &r.outcome.value,
                                                     &r.expires_at_unix_ms, &r.outcome.error);
  return r;
}

static inline wi_go_string_result wi_go_force_refresh(const wi_client *client) {
  wi_go_string_result r = {0, 0, 0};
  r.status = wi_force_refresh(client, &r.value, &r.error);
  return r;
}

static inline wi_go_string_result wi_go_exchange_token(const wi_client *client,
                                                       const wi_exchange_params *params) {
  wi_go_string_result r = {0, 0, 0};
  r.status = wi_exchange_token(client, params, &r.value, &r.error);
  return r;
}

static inline wi_go_string_result wi_go_delegated_token(const wi_client *client,
                                                         const char *user_token,
                                                         const char *audience, const char *scope) {
  wi_go_string_result r = {0, 0, 0};
  r.status = wi_get_delegated_token(client, user_token, audience, scope, &r.value, &r.error);
  return r;
}

static inline wi_go_string_result wi_go_integration_credential(const wi_client *client,
                                                               const char *name) {
  wi_go_string_result r = {0, 0, 0};
  r.status = wi_get_integration_credential(client, name, &r.value, &r.error);
  return r;
}

static inline wi_go_string_result wi_go_project_env_vars(const wi_client *client) {
  wi_go_string_result r = {0, 0, 0};
  r.status = wi_get_project_env_vars(client, &r.value, &r.error);
  return r;
}

#endif /* WI_GO_SHIMS_H */
