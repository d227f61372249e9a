package workloadidentity_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	wi "github.com/workload-identity/workload-identity/bindings/go"
	"github.com/workload-identity/workload-identity/bindings/go/internal/devserver"
)

var cozeVariables = []string{
	"COZE_WORKLOAD_IDENTITY_CLIENT_ID",
	"COZE_WORKLOAD_IDENTITY_CLIENT_SECRET",
	"COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT",
	"COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT",
	"COZE_OUTBOUND_AUTH_ENDPOINT",
	"COZE_SERVER_ENV",
}

// clearEnvironment empties every COZE_* variable for the test (empty counts as missing).
func clearEnvironment(t *testing.T) {
	for _, name := range cozeVariables {
		t.Setenv(name, "")
	}
}

func TestConfigurationMissing(t *testing.T) {
	clearEnvironment(t)
	_, err := wi.New()
	e := requireError(t, err, wi.ErrConfiguration, wi.StatusConfiguration)
	for _, name := range cozeVariables[:4] {
		if !strings.Contains(e.Message, name) {
			t.Errorf("message %q does not name %s", e.Message, name)
		}
	}
	_, err = wi.New(wi.WithClientID("only-this"))
	requireError(t, err, wi.ErrConfiguration, wi.StatusConfiguration)
}

func TestIntegrationWithoutOutboundEndpoint(t *testing.T) {
	clearEnvironment(t)
	s := devserver.Start(t)
	c := newClient(t, s, wi.WithOption("outbound_auth_endpoint", ""))
	_, err := c.IntegrationCredential(context.Background(), "github")
	requireError(t, err, wi.ErrConfiguration, wi.StatusConfiguration)
	_, err = c.ProjectEnvVars(context.Background())
	requireError(t, err, wi.ErrConfiguration, wi.StatusConfiguration)
}

func TestInvalidOptions(t *testing.T) {
	s := devserver.Start(t)
	for _, tc := range []struct {
		name    string
		option  wi.Option
		mention string
	}{
		{"unknown key", wi.WithOption("no_such_key", "x"), "no_such_key"},
		{"empty key", wi.WithOption("", "x"), "option key"},
		{"zero value option", wi.Option{}, "option key"},
		{"NUL in key", wi.WithOption("client\x00id", "x"), "NUL"},
		{"zero timeout", wi.WithTimeout(0), "timeout_ms"},
		{"negative connect timeout", wi.WithConnectTimeout(-time.Second), "connect_timeout_ms"},
		{"too many retries", wi.WithMaxRetries(1000), "max_retries"},
		{"unknown client auth", wi.WithClientAuth("jwt"), "client_auth"},
		{"not a URL", wi.WithTokenEndpoint("not a url"), "token_endpoint"},
		{"invalid UTF-8", wi.WithUserAgent("\xff\xfe"), "UTF-8"},
		{"NUL in secret", wi.WithClientSecret("sec\x00ret-value"), "client_secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wi.New(serverOptions(s, tc.option)...)
			e := requireError(t, err, wi.ErrInvalidArgument, wi.StatusInvalidArgument)
			if !strings.Contains(e.Message, tc.mention) {
				t.Errorf("message %q does not mention %q", e.Message, tc.mention)
			}
			if strings.Contains(e.Message, "ret-value") {
				t.Error("message holds the secret")
			}
		})
	}
}

func TestInvalidArguments(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s)
	ctx := context.Background()
	var nilContext context.Context
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"empty integration name", func() error { _, err := c.IntegrationCredential(ctx, ""); return err }},
		{"NUL in integration name", func() error { _, err := c.IntegrationCredential(ctx, "git\x00hub"); return err }},
		{"invalid UTF-8 integration name", func() error { _, err := c.IntegrationCredential(ctx, "\xffgithub"); return err }},
		{"no subject token", func() error { _, err := c.ExchangeToken(ctx, wi.ExchangeRequest{Audience: "a"}); return err }},
		{"actor token without type", func() error {
			_, err := c.ExchangeToken(ctx, wi.ExchangeRequest{SubjectToken: "s", SubjectTokenType: "urn:x", ActorToken: "a"})
			return err
		}},
		{"invalid UTF-8 audience", func() error {
			_, err := c.ExchangeToken(ctx, wi.ExchangeRequest{SubjectToken: "s", Audience: "\xc3\x28"})
			return err
		}},
		{"NUL in subject token", func() error { _, err := c.ExchangeToken(ctx, wi.ExchangeRequest{SubjectToken: "s\x00"}); return err }},
		{"NUL in rejected token", func() error { return c.InvalidateToken("at_\x00") }},
		{"nil context", func() error { _, err := c.AccessToken(nilContext); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireError(t, tc.call(), wi.ErrInvalidArgument, wi.StatusInvalidArgument)
		})
	}
	if n := len(s.Requests(t)); n != 0 {
		t.Fatalf("invalid arguments sent %d requests", n)
	}
}

func TestTokenRetrievalWrongSecret(t *testing.T) {
	s := devserver.Start(t)
	const secret = "wrong-secret-value"
	c := newClient(t, s, wi.WithClientSecret(secret))
	_, err := c.AccessToken(context.Background())
	e := requireError(t, err, wi.ErrTokenRetrieval, wi.StatusTokenRetrieval)
	if e.HTTPStatus != 401 || e.OAuthCode != "invalid_client" || e.Retryable {
		t.Fatalf("got HTTP %d, code %q, retryable %v; want 401 invalid_client, not retryable", e.HTTPStatus, e.OAuthCode, e.Retryable)
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatal("the error message holds the secret")
	}
	if errors.Is(err, wi.ErrTokenExchange) || errors.Is(err, wi.ErrClientClosed) {
		t.Fatal("error matches another sentinel")
	}
}

func TestTokenRetrievalRetryable(t *testing.T) {
	s := devserver.Start(t)
	s.Fault(t, map[string]any{"path": "/oauth/token", "status": 503})
	c := newClient(t, s, wi.WithMaxRetries(0))
	_, err := c.AccessToken(context.Background())
	e := requireError(t, err, wi.ErrTokenRetrieval, wi.StatusTokenRetrieval)
	if e.HTTPStatus != 503 || !e.Retryable {
		t.Fatalf("got HTTP %d, retryable %v; want 503, retryable", e.HTTPStatus, e.Retryable)
	}
}

func TestTokenExchangeFailure(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s, wi.WithMaxRetries(0))
	s.Fault(t, map[string]any{"path": "/oauth/exchange", "status": 400,
		"body": map[string]any{"error": "invalid_grant", "error_description": "injected"}})
	_, err := c.AccessToken(context.Background())
	e := requireError(t, err, wi.ErrTokenExchange, wi.StatusTokenExchange)
	if e.HTTPStatus != 400 || e.OAuthCode != "invalid_grant" {
		t.Fatalf("got HTTP %d, code %q; want 400 invalid_grant", e.HTTPStatus, e.OAuthCode)
	}
	_, err = c.ExchangeToken(context.Background(), wi.ExchangeRequest{SubjectToken: "at_unknown"})
	e = requireError(t, err, wi.ErrTokenExchange, wi.StatusTokenExchange)
	if e.HTTPStatus != 400 || e.OAuthCode != "invalid_grant" {
		t.Fatalf("general exchange: HTTP %d, code %q; want 400 invalid_grant", e.HTTPStatus, e.OAuthCode)
	}
}

func TestIntegrationErrors(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s)
	ctx := context.Background()
	_, err := c.IntegrationCredential(ctx, "no-such-integration")
	e := requireError(t, err, wi.ErrIntegration, wi.StatusIntegration)
	if !strings.Contains(e.Message, "1001") || !strings.Contains(e.Message, "no-such-integration") {
		t.Errorf("message %q lacks the business code or name", e.Message)
	}
	s.Fault(t, map[string]any{"path": "/outbound/env", "status": 200, "body": map[string]any{"code": 5000, "msg": "busy"}})
	_, err = c.ProjectEnvVars(ctx)
	requireError(t, err, wi.ErrIntegration, wi.StatusIntegration)
	s.Fault(t, map[string]any{"path": "/outbound/env", "kind": "malformed_json"})
	_, err = c.ProjectEnvVars(ctx)
	requireError(t, err, wi.ErrIntegration, wi.StatusIntegration)
}

func TestUnreachableServer(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + listener.Addr().String()
	listener.Close()
	c, err := wi.New(
		wi.WithClientID(devserver.ClientID), wi.WithClientSecret(devserver.ClientSecret),
		wi.WithTokenEndpoint(closed+"/oauth/token"), wi.WithAccessTokenEndpoint(closed+"/oauth/exchange"),
		wi.WithServerEnv("NONE"), wi.WithMaxRetries(0), wi.WithConnectTimeout(time.Second),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.AccessToken(context.Background())
	e := requireError(t, err, wi.ErrTokenRetrieval, wi.StatusTokenRetrieval)
	if e.HTTPStatus != 0 || !e.Retryable {
		t.Fatalf("got HTTP %d, retryable %v; want 0 (no response), retryable", e.HTTPStatus, e.Retryable)
	}
}

func TestErrorIsAndStrings(t *testing.T) {
	sentinels := map[wi.Status]error{
		wi.StatusInvalidArgument: wi.ErrInvalidArgument,
		wi.StatusConfiguration:   wi.ErrConfiguration,
		wi.StatusTokenRetrieval:  wi.ErrTokenRetrieval,
		wi.StatusTokenExchange:   wi.ErrTokenExchange,
		wi.StatusIntegration:     wi.ErrIntegration,
		wi.StatusOAuthOperation:  wi.ErrOAuthOperation,
		wi.StatusStore:           wi.ErrStore,
		wi.StatusSkillEnv:        wi.ErrSkillEnv,
		wi.StatusInternal:        wi.ErrInternal,
	}
	for status := range sentinels {
		err := error(&wi.Error{Status: status, Message: "m"})
		for other, otherSentinel := range sentinels {
			if errors.Is(err, otherSentinel) != (other == status) {
				t.Errorf("errors.Is(%v error, %v) = %v", status, otherSentinel, !(other == status))
			}
		}
		if errors.Is(err, wi.ErrClientClosed) || errors.Is(err, nil) {
			t.Errorf("%v error matches ErrClientClosed or nil", status)
		}
		if strings.HasPrefix(status.String(), "status ") {
			t.Errorf("%d has no name", uint32(status))
		}
	}
	if got := wi.Status(42).String(); got != "status 42" {
		t.Errorf("Status(42).String() = %q", got)
	}
	if got := (&wi.Error{Message: "x failed"}).Error(); got != "workloadidentity: x failed" {
		t.Errorf("Error() = %q", got)
	}
}
