//go:build !cgo

package workloadidentity

// Without cgo the package cannot reach the native library: this line stops
// the build with a message saying so (the compiler quotes the string).
var _ int = "workloadidentity needs cgo: build with CGO_ENABLED=1 and a C compiler (cc) on PATH"
