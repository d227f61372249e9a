// Package workloadidentity is the Go binding of the workload-identity library:
// it obtains Coze workload-identity access tokens (client credentials, then an
// RFC 8693 exchange), performs general token exchanges, and reads integration
// credentials and project environment variables.
//
// The package links the native library (libworkload_identity) through cgo,
// an installed one found with pkg-config by default; see link_pkgconfig.go and
// README.md for the other build modes (wi_static, wi_system, wi_intree).
//
// A [Client] is safe for concurrent use by any number of goroutines; clients
// with the same identity share one token cache and one in-flight refresh
// process-wide. Close a client when done with it; a cleanup registered with
// runtime.AddCleanup frees one that was dropped without Close.
//
// Calls that may reach the network take a context.Context. When the context
// ends first the call returns ctx.Err() at once, while the native call runs to
// completion in the background (bounded by the client's own timeouts); the
// native client stays alive until it returns, even across Close.
//
// Memory: every string the library returns is copied into Go memory and its
// native copy wiped and freed at once; native copies of arguments are wiped
// before they are freed. Go strings themselves cannot be wiped.
package workloadidentity
