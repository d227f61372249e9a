/* test_egress.c: wi_get_outbound_proxy, wi_mask_url and wi_load_skill_env.
 * The settings take the curl command (run with them as libcurl would get
 * them: the proxy URL through the environment, never on a command line, and
 * the CA file) through the dev server's authenticating proxy to its HTTPS
 * target, whose certificate chains to the test CA; a wrong ticket is refused.
 * Then bad input, and the skill environment against the dev server. */
#define _POSIX_C_SOURCE 200809L

#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

extern char **environ;

#define TICKET "tk+c/ticket=1"

/* A string member of the flat JSON object `json`, with \n and \" unescaped. */
static void json_string(const char *json, const char *name, char *out, size_t size) {
  char key[64];
  snprintf(key, sizeof key, "\"%s\":\"", name);
  const char *at = strstr(json, key);
  CHECK(at != NULL);
  at += strlen(key);
  size_t length = 0;
  while (*at != '\0' && *at != '"') {
    char c = *at++;
    if (c == '\\') {
      c = *at++;
      if (c == 'n') c = '\n';
    }
    CHECK(length + 1 < size);
    out[length++] = c;
  }
  out[length] = '\0';
}

/* Runs curl for `url` with `https_proxy=proxy_url` and `--cacert ca_path`;
 * returns its exit status, its output in `output`. */
static int run_curl(const char *proxy_url, const char *ca_path, const char *url, char *output,
                    size_t size) {
  char output_path[] = "/tmp/wi-test-egress-XXXXXX";
  int fd = mkstemp(output_path);
  CHECK(fd >= 0);
  size_t proxy_length = strlen("https_proxy=") + strlen(proxy_url) + 1;
  char *proxy_variable = malloc(proxy_length);
  CHECK(proxy_variable != NULL);
  snprintf(proxy_variable, proxy_length, "https_proxy=%s", proxy_url);
  const char *path = getenv("PATH");
  char path_variable[4096];
  snprintf(path_variable, sizeof path_variable, "PATH=%s", path != NULL ? path : "/usr/bin:/bin");
  char *child_environment[] = {proxy_variable, path_variable, NULL};
  char *arguments[] = {"curl", "-sS", "--max-time", "20", "--cacert", (char *)ca_path,
                       "-o", output_path, (char *)url, NULL};
  pid_t pid;
  CHECK(posix_spawnp(&pid, "curl", NULL, NULL, arguments, child_environment) == 0);
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  memset(proxy_variable, 0, proxy_length);
  free(proxy_variable);
  ssize_t got = read(fd, output, size - 1);
  output[got > 0 ? got : 0] = '\0';
  close(fd);
  unlink(output_path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void curl_through_the_proxy(void) {
  char response[8192];
  CHECK(dev_request("POST", "/_dev/egress", "{\"ticket\":\"" TICKET "\"}", response,
                    sizeof response) == 200);
  char proxy[128], target[128], ca_pem[4096];
  json_string(response, "proxy_url", proxy, sizeof proxy);
  json_string(response, "target_url", target, sizeof target);
  json_string(response, "ca_pem", ca_pem, sizeof ca_pem);
  CHECK(setenv("COZE_OUTBOUND_AUTH_PROXY", proxy, 1) == 0);
  CHECK(setenv("identity_ticket", TICKET, 1) == 0);
  CHECK(setenv("COZE_OUTBOUND_AUTH_PROXY_CA", ca_pem, 1) == 0);

  char *proxy_url = NOT_NULL_SENTINEL, *ca_path = NOT_NULL_SENTINEL;
  CHECK_OK(wi_get_outbound_proxy(&proxy_url, &ca_path, &check_ok_error));
  CHECK(proxy_url != NULL && ca_path != NULL);
  char *masked = wi_mask_url(proxy_url);
  CHECK(masked != NULL && contains(masked, "space:***@127.0.0.1:") && !contains(masked, "ticket"));
  struct stat info;
  CHECK(stat(ca_path, &info) == 0 && (info.st_mode & 0777) == 0600);

  char page[4096], url[256];
  snprintf(url, sizeof url, "%sfrom-c", target);
  int exit_code = run_curl(proxy_url, ca_path, url, page, sizeof page);
  if (exit_code != 0) fprintf(stderr, "curl exited with %d through %s\n", exit_code, masked);
  CHECK(exit_code == 0);
  CHECK(contains(page, "\"path\":\"/from-c\""));
  wi_free_string(proxy_url);
  wi_free_string(masked);

  CHECK(setenv("identity_ticket", "not-the-ticket", 1) == 0);
  CHECK_OK(wi_get_outbound_proxy(&proxy_url, NULL, &check_ok_error));
  CHECK(run_curl(proxy_url, ca_path, url, page, sizeof page) != 0);
  wi_free_string(proxy_url);
  wi_free_string(ca_path);
  CHECK(dev_request("GET", "/_dev/egress", NULL, response, sizeof response) == 200);
  CHECK(contains(response, "\"connects_allowed\":1") && contains(response, "\"connects_refused\":1"));
  test_passed("curl reaches the target through the proxy with the library's settings; a wrong ticket is refused");
}

static void expect_configuration_error(const char *needle, const char *absent) {
  char *proxy_url = NOT_NULL_SENTINEL, *ca_path = NOT_NULL_SENTINEL;
  wi_error *error = NULL;
  CHECK(wi_get_outbound_proxy(&proxy_url, &ca_path, &error) == WI_STATUS_CONFIGURATION);
  CHECK(proxy_url == NULL && ca_path == NULL);
  const char *message = wi_error_message(error);
  CHECK_ERR(contains(message, needle), error);
  CHECK_ERR(absent == NULL || !contains(message, absent), error);
  wi_error_free(error);
}

static void bad_proxy_settings(void) {
  unsetenv("COZE_OUTBOUND_AUTH_PROXY");
  unsetenv("COZE_OUTBOUND_AUTH_PROXY_CA");
  expect_configuration_error("Neither COZE_SKILL_PROXY_DOMAIN nor COZE_OUTBOUND_AUTH_PROXY", NULL);
  CHECK(setenv("COZE_OUTBOUND_AUTH_PROXY", "ftp://user:hunter2@proxy:21", 1) == 0);
  unsetenv("identity_ticket");
  expect_configuration_error("identity_ticket environment variable is not configured", NULL);
  CHECK(setenv("identity_ticket", "secret-ticket", 1) == 0);
  expect_configuration_error("ftp://user:***@proxy:21", "hunter2");
  CHECK(setenv("COZE_OUTBOUND_AUTH_PROXY", "http://proxy:3128", 1) == 0);
  CHECK(setenv("COZE_OUTBOUND_AUTH_PROXY_CA_PATH", "/nonexistent/ca.pem", 1) == 0);
  expect_configuration_error("but the file does not exist", "secret-ticket");

  /* Each part alone: the URL without the (failing) CA, and a CA-only call. */
  char *proxy_url = NULL;
  CHECK_OK(wi_get_outbound_proxy(&proxy_url, NULL, &check_ok_error));
  wi_free_string(proxy_url);
  unsetenv("COZE_OUTBOUND_AUTH_PROXY_CA_PATH");
  char *ca_path = NOT_NULL_SENTINEL;
  CHECK_OK(wi_get_outbound_proxy(NULL, &ca_path, &check_ok_error));
  CHECK(ca_path == NULL); /* no CA configured */

  wi_error *error = NULL;
  CHECK(wi_get_outbound_proxy(NULL, NULL, &error) == WI_STATUS_INVALID_ARGUMENT);
  wi_error_free(error);
  CHECK(wi_mask_url(NULL) == NULL);
  char *plain = wi_mask_url("https://proxy:1/path");
  CHECK(plain != NULL && strcmp(plain, "https://proxy:1/path") == 0);
  wi_free_string(plain);
  test_passed("bad proxy settings are configuration errors with masked messages");
}

static void write_file(const char *path, const char *content) {
  FILE *file = fopen(path, "w");
  CHECK(file != NULL);
  CHECK(fputs(content, file) >= 0);
  CHECK(fclose(file) == 0);
}

static void skill_environment(void) {
  char root[] = "/tmp/wi-test-skill-XXXXXX";
  CHECK(mkdtemp(root) != NULL);
  char agent[256], skill[300], config[300], endpoint[128];
  snprintf(agent, sizeof agent, "%s/.coze/agents/7001", root);
  snprintf(skill, sizeof skill, "%s/skills/weather", agent);
  char step[300];
  const char *parts[] = {"/.coze", "/.coze/agents", "/.coze/agents/7001", "/.coze/agents/7001/skills",
                         "/.coze/agents/7001/skills/weather"};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    snprintf(step, sizeof step, "%s%s", root, parts[i]);
    CHECK(mkdir(step, 0700) == 0);
  }
  snprintf(config, sizeof config, "%s/config.json", agent);
  write_file(config, "{\"patToken\": \"dev-pat-token\", \"skills\": "
                     "[{\"relPath\": \"skills/weather\", \"skillId\": \"42\"}]}");
  dev_url(endpoint, sizeof endpoint, "/skill/get_skill_envs");
  CHECK(setenv("COZE_SKILL_ENV_ENDPOINT", endpoint, 1) == 0);

  char ticket[300];
  snprintf(ticket, sizeof ticket, "%s/ticket.json", root);
  write_file(ticket, "{\"IDENTITY_TICKET\": \"tk-from-file\"}");
  const char *paths[] = {"/elsewhere", skill};
  char *json = NOT_NULL_SENTINEL;
  CHECK_OK(wi_load_skill_env(paths, 2, ticket, true, 5000, &json, &check_ok_error));
  CHECK(contains(json, "\"loaded\":true") && contains(json, "\"skill_id\":\"42\""));
  CHECK(!contains(json, "dev-pat-token"));
  wi_free_string(json);
  CHECK(getenv("SKILL_REGION") != NULL && strcmp(getenv("SKILL_REGION"), "cn-north") == 0);
  CHECK(getenv("IDENTITY_TICKET") != NULL && strcmp(getenv("IDENTITY_TICKET"), "tk-from-file") == 0);

  CHECK_OK(wi_load_skill_env(NULL, 0, NULL, false, 0, &json, &check_ok_error));
  CHECK(contains(json, "\"cached\":true"));
  wi_free_string(json);

  dev_control("faults", "{\"path\":\"/skill/get_skill_envs\",\"status\":200,"
                        "\"body\":{\"BaseResp\":{\"StatusCode\":4001}}}");
  wi_error *error = NULL;
  json = NOT_NULL_SENTINEL;
  CHECK(wi_load_skill_env(paths, 2, ticket, true, 0, &json, &error) == WI_STATUS_SKILL_ENV);
  CHECK(json == NULL);
  CHECK_ERR(contains(wi_error_message(error), "GetSkillEnvs error: {\"BaseResp\""), error);
  CHECK(wi_error_status(error) == WI_STATUS_SKILL_ENV);
  wi_error_free(error);

  write_file(config, "{not json");
  CHECK_OK(wi_load_skill_env(paths, 2, ticket, true, 0, &json, &check_ok_error));
  CHECK(contains(json, "\"loaded\":false") && contains(json, "config.json"));
  wi_free_string(json);

  CHECK(wi_load_skill_env(NULL, 1, NULL, false, 0, &json, &error) == WI_STATUS_INVALID_ARGUMENT);
  wi_error_free(error);
  const char *holes[] = {NULL};
  CHECK(wi_load_skill_env(holes, 1, NULL, false, 0, &json, &error) == WI_STATUS_INVALID_ARGUMENT);
  CHECK_ERR(contains(wi_error_message(error), "source_paths[0]"), error);
  wi_error_free(error);
  CHECK(wi_load_skill_env(paths, 2, NULL, false, 0, NULL, NULL) == WI_STATUS_INVALID_ARGUMENT);

  unlink(config);
  unlink(ticket);
  for (size_t i = sizeof parts / sizeof parts[0]; i-- > 0;) {
    snprintf(step, sizeof step, "%s%s", root, parts[i]);
    rmdir(step);
  }
  rmdir(root);
  test_passed("skill environment: loaded, cached, API error, bad config.json, bad arguments");
}

int main(void) {
  curl_through_the_proxy();
  bad_proxy_settings();
  skill_environment();
  return 0;
}
