/*
 * shims_oauth.h: the shims of the authorization server's other endpoints
 * (oauth.go), in the style of shims.h: each returns the call's outcome by
 * value, so that out-parameters live on the C stack.
 */
#ifndef WI_GO_SHIMS_OAUTH_H
#define WI_GO_SHIMS_OAUTH_H

#include "shims.h"

static inline wi_go_string_result wi_go_server_metadata(const wi_client *client) {
  wi_go_string_result r = {0, 0, 0};
  r.status = wi_get_server_metadata(client, &r.value, &r.error);
  return r;
}

static inline wi_go_string_result wi_go_introspect_token(const wi_client *client, const char *token,
                                                         const char *token_type_hint) {
  wi_go_string_result r = {0, 0, 0};
  r.status = wi_introspect_token(client, token, token_type_hint, &r.value, &r.error);
  return r;
}

/* wi_token_is_active: the answer, and the reason of a failure (NULL when none). */
typedef struct wi_go_active_result {
  bool active;
  wi_error *error;
} wi_go_active_result;

static inline wi_go_active_result wi_go_token_is_active(const wi_client *client, const char *token,
                                                        const char *required_scope) {
  wi_go_active_result r = {false, 0};
  r.active = wi_token_is_active(client, token, required_scope, &r.error);
  return r;
}

/* wi_revoke_token: a status and an error, no value. */
static inline wi_go_string_result wi_go_revoke_token(const wi_client *client, const char *token,
                                                     const char *token_type_hint) {
  wi_go_string_result r = {0, 0, 0};
  r.status = wi_revoke_token(client, token, token_type_hint, &r.error);
  return r;
}

static inline wi_go_string_result wi_go_register_client(const wi_client *client,
                                                        const char *metadata_json) {
  wi_go_string_result r = {0, 0, 0};
  r.status = wi_register_client(client, metadata_json, &r.value, &r.error);
  return r;
}

#endif /* WI_GO_SHIMS_OAUTH_H */
