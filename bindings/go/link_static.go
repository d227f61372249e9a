//go:build wi_static && !pkgconfig

package workloadidentity

// Build with `-tags wi_static`: this repository's static library is linked
// into the Go binary, which then needs no libworkload_identity at run time.
// The system libraries are those `rustc --print native-static-libs` lists.

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #cgo LDFLAGS: ${SRCDIR}/../../target/release/libworkload_identity.a -lgcc_s -lutil -lrt -lpthread -lm -ldl
import "C"
