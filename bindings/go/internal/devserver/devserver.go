// Package devserver runs the repository's wi-devserver for tests: one process
// per Start, on an ephemeral 127.0.0.1 port, killed when the test ends. It
// drives the server's /_dev/ control API (tools/devserver/README.md).
//
// A Server is safe for concurrent use.
package devserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Server is one running dev server.
type Server struct {
	// BaseURL is e.g. "http://127.0.0.1:41234".
	BaseURL string
}

// Default credentials of the dev server.
const (
	ClientID     = "dev-client"
	ClientSecret = "dev-secret"
)

// Binary returns the dev server's path: $WI_DEVSERVER, else
// target/release/wi-devserver of the repository holding this Go module.
func Binary() (string, error) {
	if path := os.Getenv("WI_DEVSERVER"); path != "" {
		return path, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "..", "target", "release", "wi-devserver"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory; set WI_DEVSERVER")
		}
		dir = parent
	}
}

// Start runs a dev server with the given extra arguments (e.g. "--ttl", "60")
// and stops it when tb ends.
func Start(tb testing.TB, args ...string) *Server {
	tb.Helper()
	binary, err := Binary()
	if err != nil {
		tb.Fatalf("dev server: %v", err)
	}
	cmd := exec.Command(binary, append([]string{"--port", "0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatalf("dev server: %v", err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("dev server %s: %v", binary, err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := bufio.NewReader(stdout)
	first := make(chan string, 1)
	go func() {
		line, _ := lines.ReadString('\n')
		first <- line
		_, _ = io.Copy(io.Discard, lines) // per-request log lines; never fill the pipe
	}()
	var line string
	select {
	case line = <-first:
	case <-time.After(10 * time.Second):
		tb.Fatalf("dev server %s: no listening line within 10 s", binary)
	}
	const prefix = "listening on "
	if !strings.HasPrefix(line, prefix) {
		tb.Fatalf("dev server %s: unexpected first line %q", binary, line)
	}
	return &Server{BaseURL: strings.TrimSpace(strings.TrimPrefix(line, prefix))}
}

// TokenEndpoint is the step-1 URL.
func (s *Server) TokenEndpoint() string { return s.BaseURL + "/oauth/token" }

// AccessTokenEndpoint is the step-2 (exchange) URL.
func (s *Server) AccessTokenEndpoint() string { return s.BaseURL + "/oauth/exchange" }

// OutboundAuthEndpoint is the base URL of the integration and env APIs.
func (s *Server) OutboundAuthEndpoint() string { return s.BaseURL + "/outbound" }

// OAuthTokenEndpoint is the OAuth token endpoint serving every grant (/oauth2/token).
func (s *Server) OAuthTokenEndpoint() string { return s.BaseURL + "/oauth2/token" }

// Name and password of the password grant's default user.
const (
	Username = "dev-user"
	Password = "dev-password"
)

// IssueToken issues a token with no protocol request (POST /_dev/tokens), e.g.
// {"kind": "refresh", "client_id": ClientID}, and returns it.
func (s *Server) IssueToken(tb testing.TB, request map[string]any) string {
	tb.Helper()
	var out struct {
		Token string `json:"token"`
	}
	s.postFor(tb, "/_dev/tokens", request, &out)
	return out.Token
}

// Fault queues a fault (POST /_dev/faults), e.g. {"path": "/oauth/token", "delay_ms": 1000}.
func (s *Server) Fault(tb testing.TB, fault map[string]any) {
	tb.Helper()
	s.post(tb, "/_dev/faults", fault)
}

// Config changes settings (POST /_dev/config), e.g. {"clients": [["id", "secret"]]}.
func (s *Server) Config(tb testing.TB, config map[string]any) {
	tb.Helper()
	s.post(tb, "/_dev/config", config)
}

// Request is one recorded protocol request.
type Request struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"` // lowercased names
	Body    string            `json:"body"`
	Form    map[string]string `json:"form"`
	// ClientAuth is the client authentication the request used
	// (client_secret_basic, client_secret_post, private_key_jwt, none), or "".
	ClientAuth string `json:"client_auth"`
}

// UserToken returns an access token of user subject, issued without a
// protocol request (POST /_dev/tokens): the user token of a delegation test.
func (s *Server) UserToken(tb testing.TB, subject string) string {
	tb.Helper()
	body := map[string]any{"kind": "access", "client_id": ClientID, "subject": subject}
	var out struct {
		Token string `json:"token"`
	}
	s.postFor(tb, "/_dev/tokens", body, &out)
	return out.Token
}

// SubjectOf returns the sub of a live token (a delegated token's user), from
// introspection; "" for a token that is not live.
func (s *Server) SubjectOf(tb testing.TB, token string) string {
	tb.Helper()
	form := url.Values{"token": {token}, "client_id": {ClientID}}
	response, err := http.PostForm(s.BaseURL+"/oauth2/introspect", form)
	if err != nil {
		tb.Fatalf("introspection: %v", err)
	}
	var out struct {
		Sub string `json:"sub"`
	}
	decode(tb, "/oauth2/introspect", response, &out)
	return out.Sub
}

// Requests returns the recorded protocol requests, in arrival order.
func (s *Server) Requests(tb testing.TB) []Request {
	tb.Helper()
	var out struct {
		Requests []Request `json:"requests"`
	}
	s.get(tb, "/_dev/requests", &out)
	return out.Requests
}

// Count returns how many protocol requests reached path.
func (s *Server) Count(tb testing.TB, path string) int {
	tb.Helper()
	var out struct {
		ByPath map[string]int `json:"by_path"`
	}
	s.get(tb, "/_dev/stats", &out)
	return out.ByPath[path]
}

// EgressInfo is the dev server's egress rig: an authenticating proxy and the
// HTTPS target behind it, whose certificate chains to CAPEM.
type EgressInfo struct {
	ProxyURL        string `json:"proxy_url"`  // without credentials
	TargetURL       string `json:"target_url"` // https://127.0.0.1:PORT/
	CAPEM           string `json:"ca_pem"`
	ConnectsAllowed int    `json:"connects_allowed"`
	ConnectsRefused int    `json:"connects_refused"`
}

// Egress starts the egress rig accepting ticket (or re-keys it): POST /_dev/egress.
func (s *Server) Egress(tb testing.TB, ticket string) EgressInfo {
	tb.Helper()
	encoded, _ := json.Marshal(map[string]string{"ticket": ticket})
	response, err := http.Post(s.BaseURL+"/_dev/egress", "application/json", bytes.NewReader(encoded))
	if err != nil {
		tb.Fatalf("POST /_dev/egress: %v", err)
	}
	var info EgressInfo
	decode(tb, "/_dev/egress", response, &info)
	return info
}

// EgressCounts returns the rig's counters: GET /_dev/egress.
func (s *Server) EgressCounts(tb testing.TB) EgressInfo {
	tb.Helper()
	var info EgressInfo
	s.get(tb, "/_dev/egress", &info)
	return info
}

func (s *Server) get(tb testing.TB, path string, into any) {
	tb.Helper()
	response, err := http.Get(s.BaseURL + path)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	decode(tb, path, response, into)
}

func (s *Server) post(tb testing.TB, path string, body map[string]any) {
	tb.Helper()
	s.postFor(tb, path, body, nil)
}

func (s *Server) postFor(tb testing.TB, path string, body map[string]any, into any) {
	tb.Helper()
	encoded, err := json.Marshal(body)
	if err != nil {
		tb.Fatalf("POST %s: %v", path, err)
	}
	response, err := http.Post(s.BaseURL+path, "application/json", bytes.NewReader(encoded))
	if err != nil {
		tb.Fatalf("POST %s: %v", path, err)
	}
	decode(tb, path, response, into)
}

func decode(tb testing.TB, path string, response *http.Response, into any) {
	tb.Helper()
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err == nil && response.StatusCode != http.StatusOK {
		err = fmt.Errorf("HTTP %d: %s", response.StatusCode, body)
	}
	if err == nil && into != nil {
		err = json.Unmarshal(body, into)
	}
	if err != nil {
		tb.Fatalf("dev server %s: %v", path, err)
	}
}
