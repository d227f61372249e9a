package workloadidentity_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	wi "github.com/workload-identity/workload-identity/bindings/go"
	"github.com/workload-identity/workload-identity/bindings/go/internal/devserver"
)

// Every request of every call carries the lane headers of PROTOCOL.md.
func TestLaneHeaders(t *testing.T) {
	for _, tc := range []struct{ lane, useppe string }{{"ppe_x", "1"}, {"boe_y", ""}} {
		t.Run(tc.lane, func(t *testing.T) {
			s := devserver.Start(t)
			c := newClient(t, s, wi.WithServerEnv(tc.lane))
			ctx := context.Background()
			if _, err := c.IntegrationCredential(ctx, "github"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.ProjectEnvVars(ctx); err != nil {
				t.Fatal(err)
			}
			paths := map[string]bool{}
			for _, r := range s.Requests(t) {
				paths[r.Path] = true
				if r.Headers["x-tt-env"] != tc.lane || r.Headers["x-use-ppe"] != tc.useppe {
					t.Errorf("%s: x-tt-env %q, x-use-ppe %q; want %q, %q",
						r.Path, r.Headers["x-tt-env"], r.Headers["x-use-ppe"], tc.lane, tc.useppe)
				}
			}
			if len(paths) != 4 {
				t.Fatalf("requests reached %v, want the four protocol endpoints", paths)
			}
		})
	}
}

// The two steps send the form of PROTOCOL.md, with the configured user agent.
func TestAccessTokenWire(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s, wi.WithUserAgent("wi-go-test/1"))
	if _, err := c.AccessToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	requests := s.Requests(t)
	if len(requests) != 2 {
		t.Fatalf("%d requests, want 2", len(requests))
	}
	step1, step2 := requests[0], requests[1]
	if step1.Path != "/oauth/token" || step1.Form["grant_type"] != "client_credentials" ||
		step1.Form["client_id"] != devserver.ClientID || step1.Form["client_secret"] != devserver.ClientSecret {
		t.Errorf("step 1: %s with grant_type %q, client_id %q", step1.Path, step1.Form["grant_type"], step1.Form["client_id"])
	}
	if step2.Path != "/oauth/exchange" ||
		step2.Form["grant_type"] != "urn:ietf:params:oauth:grant-type:token-exchange" ||
		step2.Form["subject_token_type"] != "urn:ietf:params:oauth:token-type:id_token" ||
		step2.Form["client_id"] != devserver.ClientID || !strings.HasPrefix(step2.Form["subject_token"], "idt_") {
		t.Errorf("step 2: %s with grant_type %q, subject_token_type %q, client_id %q",
			step2.Path, step2.Form["grant_type"], step2.Form["subject_token_type"], step2.Form["client_id"])
	}
	for _, r := range requests {
		if !strings.Contains(r.Headers["user-agent"], "wi-go-test/1") {
			t.Errorf("%s: user-agent %q", r.Path, r.Headers["user-agent"])
		}
	}
}

// A general exchange sends every RFC 8693 field given, and nothing else.
func TestExchangeTokenWire(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s)
	request := wi.ExchangeRequest{
		SubjectToken:       "external-subject",
		SubjectTokenType:   "urn:ietf:params:oauth:token-type:jwt",
		Audience:           "https://api.example",
		Resource:           "https://api.example/items",
		Scope:              "read write",
		RequestedTokenType: "urn:ietf:params:oauth:token-type:access_token",
		ActorToken:         "external-actor",
		ActorTokenType:     "urn:ietf:params:oauth:token-type:jwt",
	}
	if _, err := c.ExchangeToken(context.Background(), request); err != nil {
		t.Fatal(err)
	}
	requests := s.Requests(t)
	if len(requests) != 1 || requests[0].Path != "/oauth/exchange" {
		t.Fatalf("%d requests, want one to /oauth/exchange", len(requests))
	}
	want := map[string]string{
		"grant_type":           "urn:ietf:params:oauth:grant-type:token-exchange",
		"client_id":            devserver.ClientID,
		"subject_token":        request.SubjectToken,
		"subject_token_type":   request.SubjectTokenType,
		"audience":             request.Audience,
		"resource":             request.Resource,
		"scope":                request.Scope,
		"requested_token_type": request.RequestedTokenType,
		"actor_token":          request.ActorToken,
		"actor_token_type":     request.ActorTokenType,
	}
	form := requests[0].Form
	for key, value := range want {
		if form[key] != value {
			t.Errorf("form %s = %q, want %q", key, form[key], value)
		}
	}
	for key := range form {
		if _, ok := want[key]; !ok {
			t.Errorf("unexpected form field %s", key)
		}
	}
	if !strings.Contains(requests[0].Body, "subject_token_type=urn%3Aietf%3Aparams") {
		t.Error("the form is not percent-encoded")
	}
}

// WithClientAuth(ClientAuthClientSecretBasic) moves the credentials to HTTP Basic.
func TestExchangeTokenClientSecretBasic(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s, wi.WithClientAuth(wi.ClientAuthClientSecretBasic))
	_, err := c.ExchangeToken(context.Background(), wi.ExchangeRequest{
		SubjectToken: "external", SubjectTokenType: "urn:example:external",
	})
	if err != nil {
		t.Fatal(err)
	}
	r := s.Requests(t)[0]
	if !strings.HasPrefix(r.Headers["authorization"], "Basic ") {
		t.Error("no Basic authorization header")
	}
	if _, ok := r.Form["client_secret"]; ok {
		t.Error("client_secret sent in the form as well")
	}
	if got, _ := url.QueryUnescape(r.Form["subject_token_type"]); got != "urn:example:external" {
		t.Errorf("subject_token_type %q", got)
	}
}
