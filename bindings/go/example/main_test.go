package main

import (
	"bytes"
	"os"
	"regexp"
	"testing"

	"github.com/workload-identity/workload-identity/bindings/go/internal/devserver"
)

// The example runs as written against a dev server configured through the environment.
func TestRun(t *testing.T) {
	s := devserver.Start(t)
	t.Setenv("COZE_WORKLOAD_IDENTITY_CLIENT_ID", devserver.ClientID)
	t.Setenv("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET", devserver.ClientSecret)
	t.Setenv("COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT", s.TokenEndpoint())
	t.Setenv("COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT", s.AccessTokenEndpoint())
	t.Setenv("COZE_OUTBOUND_AUTH_ENDPOINT", s.OutboundAuthEndpoint())
	t.Setenv("COZE_SERVER_ENV", "")
	if err := run(); err != nil {
		t.Fatal(err)
	}
}

// README.md shows this program verbatim.
func TestReadmeShowsExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	source, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)```go\n(// Command example.*?)```").FindSubmatch(readme)
	if block == nil || !bytes.Equal(block[1], source) {
		t.Fatal("README.md does not show example/main.go verbatim: copy it into the README")
	}
}
