//go:build wi_intree || wi_system

package workloadidentity

// The build modes that need no pkg-config (listed in link_pkgconfig.go):
// wi_system links -lworkload_identity from the linker's own directories
// (plus LIBRARY_PATH and CGO_LDFLAGS); wi_intree links this repository's
// target/release, with an rpath to it, for the repository's own tests. With
// wi_static each links the archive instead, plus the system libraries that
// `rustc --print native-static-libs` lists for it.

// #cgo !wi_intree,!wi_static LDFLAGS: -lworkload_identity
// #cgo !wi_intree,wi_static LDFLAGS: -l:libworkload_identity.a -lgcc_s -lutil -lrt -lpthread -lm -ldl
// #cgo wi_intree,!wi_static LDFLAGS: -L${SRCDIR}/../../target/release -lworkload_identity -Wl,-rpath,${SRCDIR}/../../target/release
// #cgo wi_intree,wi_static LDFLAGS: ${SRCDIR}/../../target/release/libworkload_identity.a -lgcc_s -lutil -lrt -lpthread -lm -ldl
import "C"
