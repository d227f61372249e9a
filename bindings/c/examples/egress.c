/*
 * egress.c: fetch a page through Coze's authenticating outbound proxy with
 * libcurl, with the two settings from the library:
 *
 *   wi_get_outbound_proxy(&proxy_url, &ca_bundle_path, &error);
 *   curl_easy_setopt(curl, CURLOPT_PROXY, proxy_url);        // carries the identity ticket
 *   curl_easy_setopt(curl, CURLOPT_CAINFO, ca_bundle_path);  // when not NULL
 *
 * Usage: egress [URL]   (default https://example.com/)
 * The skill environment is loaded first (it may provide the proxy settings).
 * Built with libcurl when its headers are found (the Makefile passes
 * -DWI_HAVE_LIBCURL and -lcurl); without them it prints the settings, masked,
 * and the equivalent curl command. Never prints the ticket.
 */
#include <stdio.h>

#include "workload_identity.h"

#ifdef WI_HAVE_LIBCURL
#include <curl/curl.h>
#endif

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : "https://example.com/";
  wi_error *error = NULL;

  char *report = NULL;
  if (wi_load_skill_env(NULL, 0, NULL, false, 0, &report, &error) == WI_STATUS_OK) {
    printf("skill environment: %s\n", report);
    wi_free_string(report);
  } else {
    fprintf(stderr, "skill environment: %s\n", wi_error_message(error));
    wi_error_free(error);
    error = NULL;
  }

  char *proxy_url = NULL;
  char *ca_bundle_path = NULL;
  if (wi_get_outbound_proxy(&proxy_url, &ca_bundle_path, &error) != WI_STATUS_OK) {
    fprintf(stderr, "outbound proxy: %s\n", wi_error_message(error));
    wi_error_free(error);
    return 1;
  }
  char *masked = wi_mask_url(proxy_url);
  printf("proxy:     %s\nCA bundle: %s\n", masked, ca_bundle_path ? ca_bundle_path : "(default roots)");

  int exit_code = 0;
#ifdef WI_HAVE_LIBCURL
  CURL *curl = curl_easy_init();
  if (curl == NULL) {
    exit_code = 1;
  } else {
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROXY, proxy_url);
    if (ca_bundle_path != NULL) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_bundle_path);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    CURLcode result = curl_easy_perform(curl); /* the page goes to stdout */
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    printf("\n%s: %s (HTTP %ld)\n", url, curl_easy_strerror(result), status);
    exit_code = result == CURLE_OK ? 0 : 1;
    curl_easy_cleanup(curl);
  }
#else
  printf("built without libcurl; the same request with the curl command:\n"
         "  https_proxy='%s' curl --cacert '%s' '%s'\n",
         masked, ca_bundle_path ? ca_bundle_path : "(default)", url);
#endif

  wi_free_string(masked);
  wi_free_string(proxy_url); /* wipes the ticket */
  wi_free_string(ca_bundle_path);
  return exit_code;
}
