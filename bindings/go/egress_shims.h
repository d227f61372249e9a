/*
 * egress_shims.h: by-value wrappers of wi_get_outbound_proxy and
 * wi_load_skill_env, so that the out-parameters live on the C stack (no Go
 * pointer crosses into C).
 */
#ifndef WI_GO_EGRESS_SHIMS_H
#define WI_GO_EGRESS_SHIMS_H

#include <stdlib.h>
#include "workload_identity.h"

/* The outbound proxy settings: both strings (free with wi_free_string) on
 * success, `ca_bundle_path` NULL when no CA is configured. */
typedef struct wi_go_outbound_proxy_result {
  wi_status status;
  char *proxy_url;
  char *ca_bundle_path;
  wi_error *error;
} wi_go_outbound_proxy_result;

static inline wi_go_outbound_proxy_result wi_go_outbound_proxy(void) {
  wi_go_outbound_proxy_result r = {0, 0, 0, 0};
  r.status = wi_get_outbound_proxy(&r.proxy_url, &r.ca_bundle_path, &r.error);
  return r;
}

/* wi_load_skill_env; `paths` is a C array of `count` C strings (or NULL, 0);
 * `ticket_file` NULL means /source/ticket.json. */
typedef struct wi_go_skill_env_result {
  wi_status status;
  char *json;
  wi_error *error;
} wi_go_skill_env_result;

static inline wi_go_skill_env_result wi_go_load_skill_env(char **paths, size_t count,
                                                          const char *ticket_file, bool force,
                                                          uint32_t timeout_ms) {
  wi_go_skill_env_result r = {0, 0, 0};
  r.status = wi_load_skill_env((const char *const *)paths, count, ticket_file, force, timeout_ms, &r.json,
                               &r.error);
  return r;
}

#endif /* WI_GO_EGRESS_SHIMS_H */
