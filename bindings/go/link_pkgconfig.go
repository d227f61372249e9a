//go:build pkgconfig

package workloadidentity

// Build with `-tags pkgconfig`: header and library flags come from the
// installed workload-identity.pc (PKG_CONFIG_PATH selects it).

// #cgo pkg-config: workload-identity
import "C"
