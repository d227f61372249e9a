module github.com/workload-identity/workload-identity/bench/go

go 1.25.0

require (
	github.com/workload-identity/workload-identity/bindings/go v0.0.0
	golang.org/x/oauth2 v0.36.0
)

// The binding under test is this repository's, built against target/release.
replace github.com/workload-identity/workload-identity/bindings/go => ../../bindings/go
