package workloadidentity_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	wi "github.com/workload-identity/workload-identity/bindings/go"
	"github.com/workload-identity/workload-identity/bindings/go/internal/devserver"
)

// The flows and client authentications of version 2 through the binding,
// against the dev server's OAuth token endpoint (/oauth2/token).

// devserverKeys is the dev server's test key directory (tools/devserver/tests/keys).
func devserverKeys(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "tools", "devserver", "tests", "keys"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// flowClient creates a client of flow at s's OAuth token endpoint with only the
// options given (no COZE_* variable may fill a gap), closed when t ends.
func flowClient(t testing.TB, s *devserver.Server, flow wi.Flow, extra ...wi.Option) *wi.Client {
	t.Helper()
	c, err := wi.New(append([]wi.Option{wi.WithFlow(flow), wi.WithTokenEndpoint(s.OAuthTokenEndpoint())}, extra...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// clearCozeEnvironment removes the COZE_* variables for the test.
func clearCozeEnvironment(t *testing.T) {
	for _, entry := range os.Environ() {
		if name, _, _ := strings.Cut(entry, "="); strings.HasPrefix(name, "COZE_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
}

func TestClientCredentialsUnderEachClientAuth(t *testing.T) {
	s := devserver.Start(t)
	keys := devserverKeys(t)
	cases := []struct {
		name   string
		method string // recorded by the dev server
		key    string // private_key_jwt: the dev server's test key, rsa or ec
		opts   []wi.Option
	}{
		{"default", "client_secret_post", "", nil},
		{"post", "client_secret_post", "", []wi.Option{wi.WithClientAuth(wi.ClientAuthClientSecretPost)}},
		{"basic", "client_secret_basic", "", []wi.Option{wi.WithClientAuth(wi.ClientAuthClientSecretBasic)}},
		{"jwt-rs256", "private_key_jwt", "rsa", []wi.Option{wi.WithPrivateKeyID("go-tests")}},
		{"jwt-es256", "private_key_jwt", "ec", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clientID := "go-cc-" + tc.name
			opts := []wi.Option{wi.WithClientID(clientID), wi.WithScope("read write"),
				wi.WithAudience("api://go"), wi.WithResource("https://api.example/")}
			if tc.key != "" {
				public, err := os.ReadFile(filepath.Join(keys, tc.key+".pub.pem"))
				must(t, err)
				s.Config(t, map[string]any{"client_keys": [][]any{{clientID, string(public)}}})
				opts = append(opts, wi.WithClientAuth(wi.ClientAuthPrivateKeyJWT),
					wi.WithPrivateKeyPath(filepath.Join(keys, tc.key+".pem")))
			} else {
				s.Config(t, map[string]any{"clients": [][]string{{clientID, "go-secret"}}})
				opts = append(opts, wi.WithClientSecret("go-secret"))
			}
			c := flowClient(t, s, wi.FlowClientCredentials, append(opts, tc.opts...)...)
			first, err := c.AccessToken(context.Background())
			if err != nil {
				t.Fatalf("AccessToken: %v", err)
			}
			requireToken(t, first, "at_")
			second, err := c.ForceRefresh(context.Background())
			if err != nil {
				t.Fatalf("ForceRefresh: %v", err)
			}
			if second == first {
				t.Fatal("ForceRefresh returned the cached token")
			}
			if got := stats(t, c).ServerRequests; got != 2 {
				t.Fatalf("server requests %d, want 2", got)
			}
			// The subtests run one after another: the last two requests are this one's.
			requests := s.Requests(t)
			if len(requests) < 2 {
				t.Fatalf("%d recorded requests", len(requests))
			}
			for _, r := range requests[len(requests)-2:] {
				if r.ClientAuth != tc.method || r.Form["grant_type"] != "client_credentials" {
					t.Fatalf("recorded client_auth %q, grant %q; want %q, client_credentials",
						r.ClientAuth, r.Form["grant_type"], tc.method)
				}
				if r.Form["scope"] != "read write" || r.Form["audience"] != "api://go" ||
					r.Form["resource"] != "https://api.example/" {
					t.Fatalf("scope, audience, resource not sent: %v", r.Form)
				}
				if _, ok := r.Form["client_secret"]; ok != (tc.method == "client_secret_post") {
					t.Fatalf("client_secret in the form: %v, want %v", ok, tc.method == "client_secret_post")
				}
			}
		})
	}
}

func TestClientIDAlone(t *testing.T) {
	s := devserver.Start(t)
	for _, method := range []wi.ClientAuth{wi.ClientAuthNone, wi.ClientAuthClientID} {
		t.Run(string(method), func(t *testing.T) {
			c := flowClient(t, s, wi.FlowPassword, wi.WithClientID(devserver.ClientID),
				wi.WithClientSecret(devserver.ClientSecret), wi.WithClientAuth(method),
				wi.WithUsername(devserver.Username), wi.WithPassword(devserver.Password),
				wi.WithHeader("X-Case", string(method)))
			token, err := c.AccessToken(context.Background())
			if err != nil {
				t.Fatalf("AccessToken: %v", err)
			}
			requireToken(t, token, "at_")
			requests := s.Requests(t)
			last := requests[len(requests)-1]
			if last.ClientAuth != "none" || last.Form["client_secret"] != "" {
				t.Fatalf("recorded client_auth %q (secret sent: %v), want none", last.ClientAuth,
					last.Form["client_secret"] != "")
			}

			// client_credentials needs proof: 401 invalid_client, not retryable.
			c = flowClient(t, s, wi.FlowClientCredentials, wi.WithClientID(devserver.ClientID),
				wi.WithClientSecret(devserver.ClientSecret), wi.WithClientAuth(method))
			_, err = c.AccessToken(context.Background())
			e := requireError(t, err, wi.ErrTokenRetrieval, wi.StatusTokenRetrieval)
			if e.HTTPStatus != 401 || e.OAuthCode != "invalid_client" || e.Retryable {
				t.Fatalf("got %d %q retryable=%v", e.HTTPStatus, e.OAuthCode, e.Retryable)
			}
		})
	}
}

func TestPasswordFlowThenRotatedRefreshTokens(t *testing.T) {
	s := devserver.Start(t)
	c := flowClient(t, s, wi.FlowPassword, wi.WithClientID(devserver.ClientID),
		wi.WithClientSecret(devserver.ClientSecret), wi.WithClientAuth(wi.ClientAuthClientSecretBasic),
		wi.WithUsername(devserver.Username), wi.WithPassword(devserver.Password))
	ctx := context.Background()
	if _, err := c.AccessToken(ctx); err != nil {
		t.Fatalf("AccessToken: %v", err)
	}
	for i := 0; i < 2; i++ {
		if _, err := c.ForceRefresh(ctx); err != nil {
			t.Fatalf("ForceRefresh: %v", err)
		}
	}
	requests := s.Requests(t)
	if len(requests) != 3 {
		t.Fatalf("%d requests, want 3", len(requests))
	}
	grants := []string{requests[0].Form["grant_type"], requests[1].Form["grant_type"], requests[2].Form["grant_type"]}
	if grants[0] != "password" || grants[1] != "refresh_token" || grants[2] != "refresh_token" {
		t.Fatalf("grants %v, want password then refresh_token twice", grants)
	}
	if requests[0].Form["username"] != devserver.Username {
		t.Fatalf("username %q", requests[0].Form["username"])
	}
	if first, second := requests[1].Form["refresh_token"], requests[2].Form["refresh_token"]; !strings.HasPrefix(first, "rt_") || first == second {
		t.Fatal("the refresh token was not rotated")
	}
	for _, r := range requests {
		if r.ClientAuth != "client_secret_basic" {
			t.Fatalf("client_auth %q", r.ClientAuth)
		}
	}

	// A wrong password: invalid_grant, not retryable, never in the message.
	bad := flowClient(t, s, wi.FlowPassword, wi.WithClientID(devserver.ClientID),
		wi.WithClientSecret(devserver.ClientSecret), wi.WithUsername(devserver.Username),
		wi.WithPassword("not-the-password"))
	_, err := bad.AccessToken(ctx)
	e := requireError(t, err, wi.ErrTokenRetrieval, wi.StatusTokenRetrieval)
	if e.HTTPStatus != 400 || e.OAuthCode != "invalid_grant" || e.Retryable || strings.Contains(e.Message, "not-the-password") {
		t.Fatalf("got %d %q retryable=%v", e.HTTPStatus, e.OAuthCode, e.Retryable)
	}
}

func TestRefreshTokenFlow(t *testing.T) {
	s := devserver.Start(t)
	initial := s.IssueToken(t, map[string]any{"kind": "refresh", "client_id": devserver.ClientID})
	client := func(tenant string) *wi.Client {
		return flowClient(t, s, wi.FlowRefreshToken, wi.WithClientID(devserver.ClientID),
			wi.WithClientSecret(devserver.ClientSecret), wi.WithRefreshToken(initial),
			wi.WithHeader("X-Tenant", tenant))
	}
	ctx := context.Background()
	c := client("first")
	if _, err := c.AccessToken(ctx); err != nil {
		t.Fatalf("AccessToken: %v", err)
	}
	if _, err := c.ForceRefresh(ctx); err != nil {
		t.Fatalf("ForceRefresh: %v", err)
	}
	requests := s.Requests(t)
	if requests[0].Form["refresh_token"] != initial || requests[1].Form["refresh_token"] == initial {
		t.Fatal("the configured refresh token was not used first, then rotated")
	}

	// The initial token was rotated away: invalid_grant, re-authentication needed.
	stale := client("second")
	_, err := stale.AccessToken(ctx)
	e := requireError(t, err, wi.ErrTokenRetrieval, wi.StatusTokenRetrieval)
	if e.OAuthCode != "invalid_grant" || e.Retryable || !strings.Contains(e.Message, "re-authentication") {
		t.Fatalf("got %q retryable=%v: %s", e.OAuthCode, e.Retryable, e.Message)
	}
	if strings.Contains(e.Message, initial) {
		t.Fatal("the refresh token is in the message")
	}
}

func TestTokenExchangeFlowReadsTheFileAtEveryFetch(t *testing.T) {
	s := devserver.Start(t)
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("eyJ.first.sig\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := flowClient(t, s, wi.FlowTokenExchange, wi.WithClientID(devserver.ClientID),
		wi.WithClientSecret(devserver.ClientSecret), wi.WithSubjectTokenFile(file))
	ctx := context.Background()
	if _, err := c.AccessToken(ctx); err != nil {
		t.Fatalf("AccessToken: %v", err)
	}
	if err := os.WriteFile(file, []byte("eyJ.second.sig"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ForceRefresh(ctx); err != nil {
		t.Fatalf("ForceRefresh: %v", err)
	}
	requests := s.Requests(t)
	if requests[0].Form["subject_token"] != "eyJ.first.sig" || requests[1].Form["subject_token"] != "eyJ.second.sig" {
		t.Fatal("the subject token file was not read at each fetch")
	}
	if got := requests[0].Form["subject_token_type"]; got != "urn:ietf:params:oauth:token-type:jwt" {
		t.Fatalf("subject_token_type %q", got)
	}

	// An empty file: ErrTokenExchange naming the path.
	if err := os.WriteFile(file, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := c.ForceRefresh(ctx)
	e := requireError(t, err, wi.ErrTokenExchange, wi.StatusTokenExchange)
	if !strings.Contains(e.Message, file) || !strings.Contains(e.Message, "empty") {
		t.Fatalf("message %q does not name the empty file", e.Message)
	}
}

func TestFlowNone(t *testing.T) {
	clearCozeEnvironment(t)
	c, err := wi.New(wi.WithFlow(wi.FlowNone))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer c.Close()
	_, err = c.AccessToken(context.Background())
	requireError(t, err, wi.ErrConfiguration, wi.StatusConfiguration)
	_, expiry, err := c.AccessTokenWithExpiry(context.Background())
	requireError(t, err, wi.ErrConfiguration, wi.StatusConfiguration)
	if !expiry.IsZero() {
		t.Fatalf("expiry %v on failure", expiry)
	}
}

func TestAccessTokenWithExpiry(t *testing.T) {
	s := devserver.Start(t, "--ttl", "600")
	c := flowClient(t, s, wi.FlowClientCredentials, wi.WithClientID(devserver.ClientID),
		wi.WithClientSecret(devserver.ClientSecret))
	before := time.Now()
	token, expiry, err := c.AccessTokenWithExpiry(context.Background())
	after := time.Now()
	if err != nil {
		t.Fatalf("AccessTokenWithExpiry: %v", err)
	}
	requireToken(t, token, "at_")
	lifetime := 600 * time.Second
	if expiry.Before(before.Add(lifetime-time.Second)) || expiry.After(after.Add(lifetime+time.Second)) {
		t.Fatalf("expiry %v not 600 s after the request (sent between %v and %v)", expiry, before, after)
	}
	cached, again, err := c.AccessTokenWithExpiry(context.Background())
	if err != nil || cached != token || !again.Equal(expiry) {
		t.Fatalf("second call: same token %v, same expiry %v, err %v", cached == token, again.Equal(expiry), err)
	}
	if got := stats(t, c).ServerRequests; got != 1 {
		t.Fatalf("server requests %d, want 1", got)
	}
}

func TestFlowMissingItsSettings(t *testing.T) {
	clearCozeEnvironment(t)
	cases := []struct {
		opts  []wi.Option
		names []string
	}{
		{[]wi.Option{wi.WithFlow(wi.FlowClientCredentials)}, []string{"client_id", "token_endpoint", "issuer"}},
		{[]wi.Option{wi.WithFlow(wi.FlowPassword)}, []string{"username", "password", "token_endpoint"}},
		{[]wi.Option{wi.WithFlow(wi.FlowRefreshToken)}, []string{"refresh_token", "token_endpoint"}},
		{[]wi.Option{wi.WithFlow(wi.FlowTokenExchange)}, []string{"subject_token_file", "token_endpoint"}},
		{[]wi.Option{wi.WithFlow(wi.FlowClientCredentials), wi.WithClientAuth(wi.ClientAuthPrivateKeyJWT)},
			[]string{"client_id", "private_key_path", "token_endpoint"}},
	}
	for _, tc := range cases {
		_, err := wi.New(tc.opts...)
		e := requireError(t, err, wi.ErrConfiguration, wi.StatusConfiguration)
		for _, name := range tc.names {
			if !strings.Contains(e.Message, name) {
				t.Errorf("%q does not name %s", e.Message, name)
			}
		}
	}
}

func TestBadPrivateKey(t *testing.T) {
	s := devserver.Start(t)
	dir := t.TempDir()
	malformed := filepath.Join(dir, "malformed.pem")
	encrypted := filepath.Join(dir, "encrypted.pem")
	must(t, os.WriteFile(malformed, []byte("KEY-MATERIAL-SECRET, not PEM\n"), 0o600))
	must(t, os.WriteFile(encrypted, []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nS0VZLU1BVEVSSUFM\n-----END ENCRYPTED PRIVATE KEY-----\n"), 0o600))
	for path, reason := range map[string]string{
		filepath.Join(dir, "missing.pem"): "cannot be read",
		malformed:                         "not PEM",
		encrypted:                         "encrypted",
	} {
		_, err := wi.New(wi.WithFlow(wi.FlowClientCredentials), wi.WithTokenEndpoint(s.OAuthTokenEndpoint()),
			wi.WithClientID("go-jwt"), wi.WithClientAuth(wi.ClientAuthPrivateKeyJWT), wi.WithPrivateKeyPath(path))
		e := requireError(t, err, wi.ErrConfiguration, wi.StatusConfiguration)
		if !strings.Contains(e.Message, path) || !strings.Contains(e.Message, reason) {
			t.Errorf("%q does not name %s and %q", e.Message, path, reason)
		}
		if strings.Contains(e.Message, "KEY-MATERIAL") || strings.Contains(e.Message, "S0VZ") {
			t.Errorf("%q holds the key file's content", e.Message)
		}
	}
}

func TestTokenStore(t *testing.T) {
	s := devserver.Start(t)
	dir := filepath.Join(t.TempDir(), "store")
	opts := []wi.Option{wi.WithClientID(devserver.ClientID), wi.WithClientSecret(devserver.ClientSecret),
		wi.WithTokenStore("file:" + dir)}
	c := flowClient(t, s, wi.FlowClientCredentials, opts...)
	if _, err := c.AccessToken(context.Background()); err != nil {
		t.Fatalf("AccessToken: %v", err)
	}
	info, err := os.Stat(dir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("store directory: %v, %v", info, err)
	}

	// Group-writable: ErrStore at New, naming the directory.
	open := filepath.Join(t.TempDir(), "open")
	must(t, os.Mkdir(open, 0o700))
	must(t, os.Chmod(open, 0o770))
	_, err = wi.New(wi.WithFlow(wi.FlowClientCredentials), wi.WithTokenEndpoint(s.OAuthTokenEndpoint()),
		wi.WithClientID(devserver.ClientID), wi.WithTokenStore("file:"+open))
	e := requireError(t, err, wi.ErrStore, wi.StatusStore)
	if !strings.Contains(e.Message, open) {
		t.Fatalf("%q does not name the directory", e.Message)
	}
	if wi.StatusStore.String() != "token store" || !errors.Is(err, wi.ErrStore) {
		t.Fatalf("StatusStore %q", wi.StatusStore)
	}
}

func stats(t testing.TB, c *wi.Client) wi.Stats {
	t.Helper()
	got, err := c.Stats()
	must(t, err)
	return got
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
