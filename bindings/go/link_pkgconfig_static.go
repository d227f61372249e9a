//go:build !wi_intree && !wi_system && wi_static

package workloadidentity

// -tags wi_static: an installed static library, through pkg-config
// (workload-identity-static.pc names the archive and the system libraries it
// needs); the program needs no libworkload_identity at run time. The build
// modes are listed in link_pkgconfig.go.

// #cgo pkg-config: workload-identity-static
import "C"
