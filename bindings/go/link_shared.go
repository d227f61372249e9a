//go:build !pkgconfig && !wi_static

package workloadidentity

// Default build: the header and shared library of this repository's build
// (`cargo build --release`), found at run time through an rpath, so that
// `go test` works in-tree with no setup. CGO_CFLAGS / CGO_LDFLAGS given in the
// environment come first and may point elsewhere.

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #cgo LDFLAGS: -L${SRCDIR}/../../target/release -lworkload_identity -Wl,-rpath,${SRCDIR}/../../target/release
import "C"
