/*
 * demo.c: the workload-identity C API from start to finish.
 *
 * Reads its configuration from the environment only (COZE_WORKLOAD_IDENTITY_*,
 * COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT, COZE_OUTBOUND_AUTH_ENDPOINT,
 * COZE_SERVER_ENV), so it runs unchanged against a local dev server or real
 * endpoints. It gets an access token, gets it again from the cache, fetches an
 * integration credential (argv[1], else $WI_DEMO_INTEGRATION, else "github")
 * and the project's environment variables, and performs an RFC 8693 exchange.
 *
 * Secrets stay secret: tokens, credentials and variable values are printed
 * masked (their first characters, an ellipsis and their length).
 *
 * Exit status: 0 on success, 1 when a step fails (its error is printed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <workload_identity.h>

static const char *status_name(wi_status status) {
  switch (status) {
    case WI_STATUS_OK: return "OK";
    case WI_STATUS_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case WI_STATUS_CONFIGURATION: return "CONFIGURATION";
    case WI_STATUS_TOKEN_RETRIEVAL: return "TOKEN_RETRIEVAL";
    case WI_STATUS_TOKEN_EXCHANGE: return "TOKEN_EXCHANGE";
    case WI_STATUS_INTEGRATION: return "INTEGRATION";
    case WI_STATUS_INTERNAL: return "INTERNAL";
    default: return "UNKNOWN";
  }
}

/* Prints a failed step with everything the error tells, frees it, and returns 1. */
static int report_failure(const char *step, wi_status status, wi_error *error) {
  fflush(stdout); /* keep the steps in order when both streams go to one place */
  fprintf(stderr, "%s failed: WI_STATUS_%s: %s\n", step, status_name(status),
          error != NULL ? wi_error_message(error) : "(no detail)");
  if (error != NULL) {
    const char *oauth_code = wi_error_oauth_code(error);
    fprintf(stderr, "  HTTP status %u, OAuth error %s, %s\n", (unsigned)wi_error_http_status(error),
            oauth_code != NULL ? oauth_code : "(none)",
            wi_error_retryable(error) ? "retryable" : "not retryable");
  }
  wi_error_free(error);
  return 1;
}

/*
 * Prints `secret` masked: at most its first 6 characters (fewer for short
 * values, so that no short secret is printed whole), an ellipsis and its length.
 */
static void print_masked(const char *secret) {
  size_t length = strlen(secret);
  size_t shown = length / 4 < 6 ? length / 4 : 6;
  while (shown > 0 && ((unsigned char)secret[shown] & 0xC0) == 0x80) shown--; /* whole UTF-8 characters */
  printf("%.*s\xe2\x80\xa6 (%zu bytes)", (int)shown, secret, length);
}

static wi_stats stats_of(const wi_client *client) {
  wi_stats stats = {.struct_size = sizeof stats};
  if (wi_client_stats(client, &stats) != WI_STATUS_OK) memset(&stats, 0, sizeof stats);
  return stats;
}

/*
 * Reads the next JSON string of `*cursor` into `out` (escapes decoded, except
 * \uXXXX which is kept as written) and moves the cursor past it. Enough for
 * the flat {"vars":[{"key":"K","value":"V"},...]} document. False at the end.
 */
static int next_json_string(const char **cursor, char *out, size_t size) {
  const char *p = strchr(*cursor, '"');
  if (p == NULL) return 0;
  size_t length = 0;
  for (p++; *p != '\0' && *p != '"'; p++) {
    char c = *p;
    if (c == '\\' && p[1] != '\0') {
      p++;
      switch (*p) {
        case 'n': c = '\n'; break;
        case 't': c = '\t'; break;
        case 'r': c = '\r'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'u': c = '\\'; p--; break; /* keep \uXXXX as written */
        default: c = *p; break;         /* \" \\ \/ */
      }
    }
    if (length + 1 < size) out[length++] = c;
  }
  out[length] = '\0';
  *cursor = *p == '"' ? p + 1 : p;
  return 1;
}

/* Prints each variable's key and its masked value; returns how many there were. */
static int print_env_vars(const char *json) {
  const char *cursor = json;
  char text[4096];
  int count = 0;
  int is_key = 0, is_value = 0;
  while (next_json_string(&cursor, text, sizeof text)) {
    if (is_key) {
      printf("     %s = ", text);
      is_key = 0;
    } else if (is_value) {
      print_masked(text);
      printf("\n");
      memset(text, 0, sizeof text); /* a secret: wipe the copy */
      is_value = 0;
      count++;
    } else if (strcmp(text, "key") == 0) {
      is_key = 1;
    } else if (strcmp(text, "value") == 0) {
      is_value = 1;
    }
  }
  return count;
}

int main(int argc, char **argv) {
  const char *integration = argc > 1 ? argv[1] : getenv("WI_DEMO_INTEGRATION");
  if (integration == NULL || integration[0] == '\0') integration = "github";
  int failed = 0;

  printf("workload-identity %s: C API demo\n", wi_version());

  /* 0. A client configured from the environment (no network traffic yet). */
  wi_client *client = NULL;
  wi_error *error = NULL;
  wi_status status = wi_client_new(NULL, &client, &error);
  if (status != WI_STATUS_OK) return report_failure("wi_client_new (configuration from COZE_*)", status, error);

  /* 1. The access token: ID token (client credentials), then an RFC 8693 exchange. */
  char *token = NULL;
  status = wi_get_access_token(client, &token, &error);
  if (status != WI_STATUS_OK) {
    failed = report_failure("wi_get_access_token", status, error);
    goto done;
  }
  wi_stats first = stats_of(client);
  printf("1. access token:        ");
  print_masked(token);
  printf("  (server requests: %llu)\n", (unsigned long long)first.server_requests);

  /* 2. Again: answered from the cache, no request. */
  char *again = NULL;
  status = wi_get_access_token(client, &again, &error);
  if (status != WI_STATUS_OK) {
    failed = report_failure("wi_get_access_token (again)", status, error);
    goto done;
  }
  wi_stats second = stats_of(client);
  int from_cache = strcmp(token, again) == 0 && second.server_requests == first.server_requests &&
                   second.cache_hits > first.cache_hits;
  printf("2. again:               ");
  print_masked(again);
  printf("  %s (server requests still %llu, cache hits %llu -> %llu)\n",
         from_cache ? "from the cache" : "NOT from the cache",
         (unsigned long long)second.server_requests, (unsigned long long)first.cache_hits,
         (unsigned long long)second.cache_hits);
  wi_free_string(again);
  if (!from_cache) failed = 1;

  /* 3. An integration credential. */
  char *credential = NULL;
  status = wi_get_integration_credential(client, integration, &credential, &error);
  if (status != WI_STATUS_OK) {
    failed = report_failure("wi_get_integration_credential", status, error);
  } else {
    printf("3. credential \"%s\": ", integration);
    print_masked(credential);
    printf("\n");
    wi_free_string(credential);
  }

  /* 4. The project's environment variables (values are secrets). */
  char *json = NULL;
  status = wi_get_project_env_vars(client, &json, &error);
  if (status != WI_STATUS_OK) {
    failed = report_failure("wi_get_project_env_vars", status, error);
  } else {
    printf("4. project environment variables:\n");
    int count = print_env_vars(json);
    printf("   (%d variable%s)\n", count, count == 1 ? "" : "s");
    wi_free_string(json);
  }

  /* 5. A general RFC 8693 exchange: the access token for one meant for another audience. */
  wi_exchange_params params = {.subject_token = token, .audience = "demo-audience"};
  char *exchanged = NULL;
  status = wi_exchange_token(client, &params, &exchanged, &error);
  if (status != WI_STATUS_OK) {
    failed = report_failure("wi_exchange_token", status, error);
  } else {
    printf("5. exchanged for audience \"demo-audience\": ");
    print_masked(exchanged);
    printf("\n");
    wi_free_string(exchanged);
  }

  wi_stats last = stats_of(client);
  printf("stats: server requests %llu, cache hits %llu, refreshes %llu\n",
         (unsigned long long)last.server_requests, (unsigned long long)last.cache_hits,
         (unsigned long long)last.refreshes_succeeded);

done:
  wi_free_string(token);
  wi_client_free(client);
  printf("%s\n", failed ? "demo: FAILED" : "demo: ok");
  return failed;
}
