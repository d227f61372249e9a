/* test_version.c: the header's version macros, wi_version() and the crate
 * version (EXPECTED_VERSION, read from Cargo.toml by the Makefile) agree. */
#include <string.h>

#include "harness.h"

#ifndef EXPECTED_VERSION
#error "EXPECTED_VERSION must be defined (the Makefile reads it from Cargo.toml)"
#endif

#define STRINGIFY_VALUE(x) #x
#define STRINGIFY(x) STRINGIFY_VALUE(x)

int main(void) {
  const char *version = wi_version();
  CHECK(version != NULL);
  CHECK(strcmp(version, WI_VERSION_STRING) == 0);
  CHECK(strcmp(version, EXPECTED_VERSION) == 0);
  CHECK(wi_version() == version); /* a static string: the same pointer each time */
  test_passed("wi_version() == WI_VERSION_STRING == Cargo.toml version");

  const char *from_parts =
      STRINGIFY(WI_VERSION_MAJOR) "." STRINGIFY(WI_VERSION_MINOR) "." STRINGIFY(WI_VERSION_PATCH);
  CHECK(strcmp(from_parts, WI_VERSION_STRING) == 0);
  test_passed("WI_VERSION_MAJOR.MINOR.PATCH == WI_VERSION_STRING");
  return 0;
}
