/* harness.c: the shared test helpers declared in harness.h. */
#define _POSIX_C_SOURCE 200809L

#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

extern char **environ;

void check_failed(const char *file, int line, const char *expression, const wi_error *error) {
  fprintf(stderr, "FAIL %s:%d: %s\n", file, line, expression);
  if (error != NULL) {
    fprintf(stderr, "  error status %u: %s\n", (unsigned)wi_error_status(error),
            wi_error_message(error));
  }
  fflush(stderr);
  exit(1);
}

void test_passed(const char *name) {
  printf("ok - %s\n", name);
  fflush(stdout);
}

int dev_port(void) {
  const char *port = getenv("WI_DEVSERVER_PORT");
  if (port == NULL || atoi(port) <= 0) {
    fprintf(stderr, "WI_DEVSERVER_PORT is not set: run this program through bindings/c/with-devserver.sh\n");
    exit(1);
  }
  return atoi(port);
}

void dev_url(char *url, size_t size, const char *path) {
  int written = snprintf(url, size, "http://127.0.0.1:%d%s", dev_port(), path);
  CHECK(written > 0 && (size_t)written < size);
}

/* Connects to 127.0.0.1:port; returns the socket or -1. */
static int connect_loopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in address = {0};
  address.sin_family = AF_INET;
  address.sin_port = htons((uint16_t)port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void send_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t sent = send(fd, data, length, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    CHECK(sent > 0);
    data += sent;
    length -= (size_t)sent;
  }
}

/* Reads the whole response: the server is asked to close the connection after it. */
static size_t receive_all(int fd, char *buffer, size_t size) {
  size_t length = 0;
  for (;;) {
    CHECK(length + 1 < size); /* the control API's answers are small */
    ssize_t received = recv(fd, buffer + length, size - length - 1, 0);
    if (received < 0 && errno == EINTR) continue;
    CHECK(received >= 0);
    if (received == 0) break;
    length += (size_t)received;
  }
  buffer[length] = '\0';
  return length;
}

int dev_request(const char *method, const char *path, const char *json_body, char *response,
                size_t response_size) {
  int fd = connect_loopback(dev_port());
  CHECK(fd >= 0);
  char head[512];
  size_t body_length = json_body != NULL ? strlen(json_body) : 0;
  int head_length = snprintf(head, sizeof head,
                             "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                             method, path, body_length);
  CHECK(head_length > 0 && (size_t)head_length < sizeof head);
  send_all(fd, head, (size_t)head_length);
  if (body_length > 0) send_all(fd, json_body, body_length);

  static const size_t capacity = 1 << 20;
  char *raw = malloc(capacity);
  CHECK(raw != NULL);
  receive_all(fd, raw, capacity);
  close(fd);

  int status = 0;
  CHECK(sscanf(raw, "HTTP/1.%*d %d", &status) == 1);
  const char *body = strstr(raw, "\r\n\r\n");
  CHECK(body != NULL);
  if (response != NULL && response_size > 0) {
    snprintf(response, response_size, "%s", body + 4);
  }
  free(raw);
  return status;
}

void dev_control(const char *what, const char *json_body) {
  char path[64];
  snprintf(path, sizeof path, "/_dev/%s", what);
  char response[512];
  int status = dev_request("POST", path, json_body, response, sizeof response);
  if (status != 200) fprintf(stderr, "POST %s: %d %s\n", path, status, response);
  CHECK(status == 200);
}

long dev_request_count(const char *protocol_path) {
  char stats[4096];
  CHECK(dev_request("GET", "/_dev/stats", NULL, stats, sizeof stats) == 200);
  char member[128];
  snprintf(member, sizeof member, "\"%s\":", protocol_path);
  const char *found = strstr(stats, member);
  return found != NULL ? strtol(found + strlen(member), NULL, 10) : 0;
}

wi_options *dev_client_options(const char *client_id, const char *client_secret) {
  wi_options *options = wi_options_new();
  CHECK(options != NULL);
  char url[128];
  CHECK_OK(wi_options_set(options, "client_id", client_id, &check_ok_error));
  CHECK_OK(wi_options_set(options, "client_secret", client_secret, &check_ok_error));
  dev_url(url, sizeof url, "/oauth/token");
  CHECK_OK(wi_options_set(options, "token_endpoint", url, &check_ok_error));
  dev_url(url, sizeof url, "/oauth/exchange");
  CHECK_OK(wi_options_set(options, "access_token_endpoint", url, &check_ok_error));
  dev_url(url, sizeof url, "/outbound");
  CHECK_OK(wi_options_set(options, "outbound_auth_endpoint", url, &check_ok_error));
  return options;
}

wi_client *dev_client(const char *client_id, const char *client_secret) {
  wi_options *options = dev_client_options(client_id, client_secret);
  wi_client *client = NULL;
  CHECK_OK(wi_client_new(options, &client, &check_ok_error));
  wi_options_free(options);
  CHECK(client != NULL);
  return client;
}

wi_stats client_stats(const wi_client *client) {
  wi_stats stats = {0};
  stats.struct_size = sizeof stats;
  CHECK(wi_client_stats(client, &stats) == WI_STATUS_OK);
  CHECK(stats.struct_size == sizeof stats);
  return stats;
}

void check_failure(wi_status status, wi_error *error, wi_status expected_status,
                   unsigned expected_http_status, const char *expected_oauth_code,
                   bool expected_retryable, const char *secret, const char *token) {
  if (status != expected_status) {
    fprintf(stderr, "expected status %u, got %u\n", (unsigned)expected_status, (unsigned)status);
  }
  CHECK_ERR(status == expected_status, error);
  CHECK(error != NULL);
  CHECK_ERR(wi_error_status(error) == expected_status, error);
  const char *message = wi_error_message(error);
  CHECK(message != NULL && message[0] != '\0');
  if (wi_error_http_status(error) != expected_http_status) {
    fprintf(stderr, "expected HTTP status %u, got %u\n", expected_http_status,
            (unsigned)wi_error_http_status(error));
  }
  CHECK_ERR(wi_error_http_status(error) == expected_http_status, error);
  const char *oauth_code = wi_error_oauth_code(error);
  if (expected_oauth_code == NULL) {
    CHECK_ERR(oauth_code == NULL, error);
  } else {
    CHECK_ERR(oauth_code != NULL && strcmp(oauth_code, expected_oauth_code) == 0, error);
  }
  CHECK_ERR(wi_error_retryable(error) == expected_retryable, error);
  CHECK_ERR(secret == NULL || !contains(message, secret), error);
  CHECK_ERR(token == NULL || !contains(message, token), error);
  wi_error_free(error);
}

bool contains(const char *haystack, const char *needle) {
  return haystack != NULL && needle != NULL && strstr(haystack, needle) != NULL;
}

int closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  struct sockaddr_in address = {0};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(bind(fd, (struct sockaddr *)&address, sizeof address) == 0);
  socklen_t length = sizeof address;
  CHECK(getsockname(fd, (struct sockaddr *)&address, &length) == 0);
  close(fd);
  return ntohs(address.sin_port);
}

/* Removes every COZE_* variable (bindings/c/with-devserver.sh exports them). */
void clear_coze_environment(void) {
  for (;;) {
    char **entry = environ;
    while (*entry != NULL && strncmp(*entry, "COZE_", 5) != 0) entry++;
    if (*entry == NULL) return;
    char name[256];
    size_t length = strcspn(*entry, "=");
    CHECK(length < sizeof name);
    memcpy(name, *entry, length);
    name[length] = '\0';
    CHECK(unsetenv(name) == 0);
  }
}
