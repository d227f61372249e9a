package workloadidentity_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	wi "github.com/workload-identity/workload-identity/bindings/go"
	"github.com/workload-identity/workload-identity/bindings/go/internal/devserver"
)

// oauthClient is a client_credentials client of s whose endpoints come from
// discovery (WithIssuer); token_endpoint is set empty so that no COZE_*
// variable of the test environment is used instead.
func oauthClient(t testing.TB, s *devserver.Server, extra ...wi.Option) *wi.Client {
	t.Helper()
	options := append([]wi.Option{
		wi.WithFlow(wi.FlowClientCredentials),
		wi.WithClientID(devserver.ClientID),
		wi.WithClientSecret(devserver.ClientSecret),
		wi.WithIssuer(s.Issuer()),
		wi.WithTokenEndpoint(""),
		wi.WithServerEnv("NONE"),
	}, extra...)
	c, err := wi.New(options...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestMetadataIsDiscoveredOnceAtFirstNeed(t *testing.T) {
	s := devserver.Start(t)
	c := oauthClient(t, s)
	if n := s.Count(t, "/.well-known/oauth-authorization-server"); n != 0 {
		t.Fatalf("%d discovery requests at New", n)
	}
	ctx := context.Background()
	metadata, err := c.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if metadata.Issuer != s.Issuer() || metadata.IntrospectionEndpoint != s.BaseURL+"/oauth2/introspect" {
		t.Fatalf("metadata %+v", metadata)
	}
	var raw map[string]any
	if err := json.Unmarshal(metadata.Raw, &raw); err != nil || raw["registration_endpoint"] == nil {
		t.Fatalf("raw document %s: %v", metadata.Raw, err)
	}
	if _, err := c.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	if n := s.Count(t, "/.well-known/oauth-authorization-server"); n != 1 {
		t.Fatalf("%d discovery requests, want 1", n)
	}
	if n := s.Count(t, "/oauth2/token"); n != 1 {
		t.Fatalf("%d token requests at the discovered endpoint, want 1", n)
	}

	plain := newClient(t, s)
	_, err = plain.Metadata(ctx)
	requireError(t, err, wi.ErrConfiguration, wi.StatusConfiguration)

	s.Fault(t, map[string]any{"path": "/.well-known/oauth-authorization-server", "set": map[string]any{"issuer": "http://127.0.0.1:1"}})
	other := oauthClient(t, s, wi.WithScope("another-identity"))
	_, err = other.Metadata(ctx)
	e := requireError(t, err, wi.ErrOAuthOperation, wi.StatusOAuthOperation)
	if !strings.Contains(e.Message, "3.3") {
		t.Fatalf("message %q", e.Message)
	}
}

func TestIntrospectReturnsTheTypedAnswerAndTheRawJSON(t *testing.T) {
	s := devserver.Start(t)
	c := oauthClient(t, s)
	ctx := context.Background()
	token := s.IssueAccessToken(t, devserver.ClientID, "read write")
	answer, err := c.Introspect(ctx, token, "access_token")
	if err != nil {
		t.Fatal(err)
	}
	if !answer.Active || answer.Scope != "read write" || answer.ClientID != devserver.ClientID ||
		answer.TokenType != "Bearer" || answer.Issuer == "" || answer.Subject == "" {
		t.Fatalf("answer %+v", answer)
	}
	if answer.ExpiresAt.Before(time.Now()) || answer.IssuedAt.After(time.Now().Add(time.Minute)) {
		t.Fatalf("times %v %v", answer.IssuedAt, answer.ExpiresAt)
	}
	if !answer.HasScope("write") || answer.HasScope("wri") {
		t.Fatal("HasScope")
	}
	if !strings.Contains(string(answer.Raw), `"active":true`) {
		t.Fatalf("raw %s", answer.Raw)
	}
	inactive, err := c.Introspect(ctx, "unknown-token", "")
	if err != nil || inactive.Active || string(inactive.Raw) != `{"active":false}` {
		t.Fatalf("%+v %v", inactive, err)
	}
	for _, scope := range []struct {
		required string
		want     bool
	}{{"", true}, {"read", true}, {"write read", true}, {"admin", false}, {"read admin", false}} {
		active, err := c.IsActive(ctx, token, scope.required)
		if err != nil || active != scope.want {
			t.Fatalf("IsActive(%q) = %v, %v; want %v", scope.required, active, err, scope.want)
		}
	}
	if active, err := c.IsActive(ctx, "unknown-token", ""); active || err != nil {
		t.Fatalf("unknown token: %v %v", active, err)
	}
}

// TestIsActiveIsFalseOnEveryFailure: server down, 500, timeout, malformed
// answers, bad arguments, a closed client, an ended context.
func TestIsActiveIsFalseOnEveryFailure(t *testing.T) {
	s := devserver.Start(t)
	ctx := context.Background()
	token := s.IssueAccessToken(t, devserver.ClientID, "read")
	fast := []wi.Option{wi.WithMaxRetries(0), wi.WithTimeout(300 * time.Millisecond)}
	const introspect = "/oauth2/introspect"
	for _, fault := range []map[string]any{
		{"path": introspect, "status": 500},
		{"path": introspect, "delay_ms": 1000},
		{"path": introspect, "kind": "malformed_json"},
		{"path": introspect, "set": map[string]any{"active": "true"}},
		{"path": introspect, "remove": []string{"active"}},
		{"path": introspect, "kind": "huge_body"},
	} {
		s.Fault(t, fault)
		c := oauthClient(t, s, fast...)
		active, err := c.IsActive(ctx, token, "read")
		if active {
			t.Fatalf("%v: active", fault)
		}
		e := requireError(t, err, wi.ErrOAuthOperation, wi.StatusOAuthOperation)
		if strings.Contains(e.Message, token) {
			t.Fatalf("%v: the token is in %q", fault, e.Message)
		}
	}
	down, err := wi.New(wi.WithFlow(wi.FlowNone), wi.WithIntrospectionEndpoint(fmt.Sprintf("http://127.0.0.1:%d/i", closedPort(t))), wi.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	if active, err := down.IsActive(ctx, token, ""); active || !errors.Is(err, wi.ErrOAuthOperation) {
		t.Fatalf("down: %v %v", active, err)
	}
	c := oauthClient(t, s)
	for _, bad := range [][2]string{{"", ""}, {"a\x00b", ""}, {token, "re\x00ad"}} {
		active, err := c.IsActive(ctx, bad[0], bad[1])
		if active {
			t.Fatal("bad argument: active")
		}
		requireError(t, err, wi.ErrInvalidArgument, wi.StatusInvalidArgument)
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if active, err := c.IsActive(ended, token, ""); active || !errors.Is(err, context.Canceled) {
		t.Fatalf("ended context: %v %v", active, err)
	}
	_ = c.Close()
	if active, err := c.IsActive(ctx, token, ""); active || !errors.Is(err, wi.ErrClientClosed) {
		t.Fatalf("closed: %v %v", active, err)
	}
	var none *wi.Client
	if active, err := none.IsActive(ctx, token, ""); active || err == nil {
		t.Fatalf("nil client: %v %v", active, err)
	}
}

func TestRevokeKillsTheTokenAndDropsItFromTheCache(t *testing.T) {
	s := devserver.Start(t)
	c := oauthClient(t, s)
	ctx := context.Background()
	token, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Revoke(ctx, token, "access_token"); err != nil {
		t.Fatal(err)
	}
	if active, err := c.IsActive(ctx, token, ""); active || err != nil {
		t.Fatalf("after revocation: %v %v", active, err)
	}
	next, err := c.AccessToken(ctx)
	if err != nil || next == token {
		t.Fatalf("the revoked token was served again (%v)", err)
	}
	s.Fault(t, map[string]any{"path": "/oauth2/revoke", "status": 503, "count": 3})
	err = c.Revoke(ctx, next, "")
	e := requireError(t, err, wi.ErrOAuthOperation, wi.StatusOAuthOperation)
	if !e.Retryable || e.HTTPStatus != 503 {
		t.Fatalf("%+v", e)
	}
	requireError(t, c.Revoke(ctx, "", ""), wi.ErrInvalidArgument, wi.StatusInvalidArgument)
}

func TestRegisterClientThenUseIt(t *testing.T) {
	s := devserver.Start(t)
	s.Config(t, map[string]any{"registration_token": "initial"})
	registrar, err := wi.New(wi.WithFlow(wi.FlowNone), wi.WithIssuer(s.Issuer()), wi.WithRegistrationToken("initial"))
	if err != nil {
		t.Fatal(err)
	}
	defer registrar.Close()
	ctx := context.Background()
	for _, bad := range []any{json.RawMessage(`[]`), []byte(`"x"`), 42, []string{"a"}, json.RawMessage(`{`)} {
		_, err := registrar.RegisterClient(ctx, bad)
		requireError(t, err, wi.ErrInvalidArgument, wi.StatusInvalidArgument)
	}
	if n := s.Count(t, "/oauth2/register"); n != 0 {
		t.Fatalf("%d registration requests for bad metadata", n)
	}
	registration, err := registrar.RegisterClient(ctx, map[string]any{
		"client_name": "go-test", "grant_types": []string{"client_credentials"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(registration.ClientID, "reg_") || registration.ClientSecret == "" || registration.ClientIDIssuedAt.IsZero() {
		t.Fatalf("registration %v", registration)
	}
	for _, shown := range []string{fmt.Sprint(registration), fmt.Sprintf("%+v", *registration), fmt.Sprintf("%#v", registration)} {
		if strings.Contains(shown, registration.ClientSecret) {
			t.Fatalf("the secret is shown: %s", shown)
		}
	}
	c := oauthClient(t, s, wi.WithClientID(registration.ClientID), wi.WithClientSecret(registration.ClientSecret),
		wi.WithClientAuth(wi.ClientAuthClientSecretBasic))
	if _, err := c.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	unauthorized, err := wi.New(wi.WithFlow(wi.FlowNone), wi.WithIssuer(s.Issuer()))
	if err != nil {
		t.Fatal(err)
	}
	defer unauthorized.Close()
	_, err = unauthorized.RegisterClient(ctx, json.RawMessage(`{}`))
	e := requireError(t, err, wi.ErrOAuthOperation, wi.StatusOAuthOperation)
	if e.OAuthCode != "invalid_token" || e.HTTPStatus != 401 {
		t.Fatalf("%+v", e)
	}
}

func TestCustomHeadersReachEveryEndpoint(t *testing.T) {
	s := devserver.Start(t)
	c := oauthClient(t, s, wi.WithHeader("X-Tenant", "go-tenant"))
	ctx := context.Background()
	token, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Introspect(ctx, token, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.Revoke(ctx, token, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RegisterClient(ctx, json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	requests := s.Requests(t)
	if len(requests) != 5 {
		t.Fatalf("%d requests", len(requests))
	}
	for _, r := range requests {
		if r.Headers["x-tenant"] != "go-tenant" {
			t.Fatalf("%s: x-tenant %q", r.Path, r.Headers["x-tenant"])
		}
	}
}
