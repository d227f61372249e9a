package workloadidentity

// #include "workload_identity.h"
import "C"

// Version returns the version of the native library in use, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.wi_version())
}
