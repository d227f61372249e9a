package workloadidentity_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	wi "github.com/workload-identity/workload-identity/bindings/go"
)

// startOidcIssuer runs the oidc-provider harness (tests/interop/oidc-provider)
// for the test and returns its issuer; closing its stdin at cleanup ends it.
func startOidcIssuer(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(filepath.Join("..", "..", "tests", "interop", "oidc-provider", "start"))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("oidc-provider (needs node): %v", err)
	}
	t.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	first := make(chan string, 1)
	go func() {
		lines := bufio.NewReader(stdout)
		line, _ := lines.ReadString('\n')
		first <- strings.TrimSpace(line)
		for {
			if _, err := lines.ReadString('\n'); err != nil {
				return
			}
		}
	}()
	select {
	case issuer := <-first:
		if !strings.HasPrefix(issuer, "http://127.0.0.1:") {
			t.Fatalf("oidc-provider printed %q", issuer)
		}
		return issuer
	case <-time.After(2 * time.Minute):
		t.Fatal("oidc-provider did not start")
	}
	return ""
}

// TestOAuthOperationsWithOidcProvider: discovery, introspection of a token it issued
// (active, then inactive after revocation), and a registration whose client
// then gets a client_credentials token, against a server no one here wrote.
func TestOAuthOperationsWithOidcProvider(t *testing.T) {
	issuer := startOidcIssuer(t)
	var credentials struct {
		Clients map[string]struct {
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		} `json:"clients"`
		InitialAccessToken string `json:"initial_access_token"`
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "tests", "interop", "oidc-provider", "credentials.json"))
	if err != nil || json.Unmarshal(data, &credentials) != nil {
		t.Fatalf("credentials.json: %v", err)
	}
	ctx := context.Background()
	post := credentials.Clients["client_secret_post"]
	c, err := wi.New(wi.WithFlow(wi.FlowClientCredentials), wi.WithIssuer(issuer), wi.WithTokenEndpoint(""),
		wi.WithClientID(post.ClientID), wi.WithClientSecret(post.ClientSecret), wi.WithScope("api:read"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	metadata, err := c.Metadata(ctx)
	if err != nil || metadata.Issuer != issuer || metadata.IntrospectionEndpoint == "" {
		t.Fatalf("metadata %+v: %v", metadata, err)
	}
	token, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := c.Introspect(ctx, token, "")
	if err != nil || !answer.Active || answer.ClientID != post.ClientID || !answer.HasScope("api:read") {
		t.Fatalf("introspection %+v: %v", answer, err)
	}
	if active, err := c.IsActive(ctx, token, "api:read"); !active || err != nil {
		t.Fatalf("IsActive: %v %v", active, err)
	}
	if err := c.Revoke(ctx, token, "access_token"); err != nil {
		t.Fatal(err)
	}
	if active, err := c.IsActive(ctx, token, ""); active || err != nil {
		t.Fatalf("after revocation: %v %v", active, err)
	}

	registrar, err := wi.New(wi.WithFlow(wi.FlowNone), wi.WithIssuer(issuer), wi.WithRegistrationToken(credentials.InitialAccessToken))
	if err != nil {
		t.Fatal(err)
	}
	defer registrar.Close()
	registration, err := registrar.RegisterClient(ctx, map[string]any{
		"grant_types": []string{"client_credentials"}, "response_types": []string{}, "redirect_uris": []string{},
		"token_endpoint_auth_method": "client_secret_basic", "scope": "api:read",
	})
	if err != nil {
		t.Fatal(err)
	}
	registered, err := wi.New(wi.WithFlow(wi.FlowClientCredentials), wi.WithIssuer(issuer), wi.WithTokenEndpoint(""),
		wi.WithClientID(registration.ClientID), wi.WithClientSecret(registration.ClientSecret),
		wi.WithClientAuth(wi.ClientAuthClientSecretBasic))
	if err != nil {
		t.Fatal(err)
	}
	defer registered.Close()
	if _, err := registered.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
}
