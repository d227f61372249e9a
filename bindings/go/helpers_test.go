package workloadidentity_test

import (
	"errors"
	"net"
	"strings"
	"testing"

	wi "github.com/workload-identity/workload-identity/bindings/go"
	"github.com/workload-identity/workload-identity/bindings/go/internal/devserver"
)

// serverOptions configures every setting explicitly for server s (no lane),
// so that no COZE_* variable of the test environment leaks in; extra options
// come last and override.
func serverOptions(s *devserver.Server, extra ...wi.Option) []wi.Option {
	return append([]wi.Option{
		wi.WithClientID(devserver.ClientID),
		wi.WithClientSecret(devserver.ClientSecret),
		wi.WithTokenEndpoint(s.TokenEndpoint()),
		wi.WithAccessTokenEndpoint(s.AccessTokenEndpoint()),
		wi.WithOutboundAuthEndpoint(s.OutboundAuthEndpoint()),
		wi.WithServerEnv("NONE"),
	}, extra...)
}

// newClient creates a client for s, closed when t ends.
func newClient(t testing.TB, s *devserver.Server, extra ...wi.Option) *wi.Client {
	t.Helper()
	c, err := wi.New(serverOptions(s, extra...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// requireToken checks a token's shape without ever printing it.
func requireToken(t testing.TB, token, prefix string) {
	t.Helper()
	if !strings.HasPrefix(token, prefix) || len(token) <= len(prefix) {
		t.Fatalf("token of %d bytes does not start with %q", len(token), prefix)
	}
}

// requireError checks that err is an *Error matching sentinel, and returns it.
func requireError(t testing.TB, err, sentinel error, status wi.Status) *wi.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %q is not %v", err, sentinel)
	}
	var e *wi.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %q (%T) is not an *Error", err, err)
	}
	if e.Status != status {
		t.Fatalf("status %v, want %v (%q)", e.Status, status, err)
	}
	return e
}

// closedPort is a loopback port with nothing listening on it (bound, then closed).
func closedPort(t testing.TB) int {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := listener.Addr().(*net.TCPAddr).Port
	_ = listener.Close()
	return port
}
