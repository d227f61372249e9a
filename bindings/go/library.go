package workloadidentity

// #define _GNU_SOURCE
// #include <dlfcn.h>
// #include <stddef.h>
// #include "workload_identity.h"
//
// /* The file the loader mapped wi_version from (the executable when linked statically). */
// static const char *wi_go_library_file(void) {
//   Dl_info info;
//   if (dladdr((void *)wi_version, &info) && info.dli_fname != NULL && info.dli_fname[0] != '\0') return info.dli_fname;
//   return NULL;
// }
import "C"

import (
	"fmt"
	"regexp"
	"strconv"
)

// libraryError says why the library loaded at start-up cannot serve this
// package, or is nil. The loader resolves functions at their first call, and
// wi_version exists in every version: it is checked here, before any other
// function is called, against the header this package was built with (its
// major.minor: functions are only ever added), so that an older library is a
// clear error from New instead of a "symbol lookup error" exit later.
var libraryError = checkLibrary()

func checkLibrary() error {
	found := C.GoString(C.wi_version())
	needed := fmt.Sprintf("%d.%d.%d", C.WI_VERSION_MAJOR, C.WI_VERSION_MINOR, C.WI_VERSION_PATCH)
	if major, minor, ok := majorMinor(found); ok &&
		(major > C.WI_VERSION_MAJOR || major == C.WI_VERSION_MAJOR && minor >= C.WI_VERSION_MINOR) {
		return nil
	}
	file := "libworkload_identity"
	if name := C.wi_go_library_file(); name != nil {
		file = C.GoString(name)
	}
	return &Error{Status: StatusConfiguration, Message: fmt.Sprintf(
		"%s is libworkload_identity %s, older than %s, which this package needs: install libworkload_identity %s or newer",
		file, found, needed, needed)}
}

var versionPrefix = regexp.MustCompile(`^(\d+)\.(\d+)`)

// majorMinor reads "1.2..." as (1, 2); ok is false for anything else.
func majorMinor(version string) (major, minor int, ok bool) {
	m := versionPrefix.FindStringSubmatch(version)
	if m == nil {
		return 0, 0, false
	}
	major, _ = strconv.Atoi(m[1])
	minor, _ = strconv.Atoi(m[2])
	return major, minor, true
}
