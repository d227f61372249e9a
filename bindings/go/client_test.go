package workloadidentity_test

import (
	"context"
	"regexp"
	"slices"
	"testing"

	wi "github.com/workload-identity/workload-identity/bindings/go"
	"github.com/workload-identity/workload-identity/bindings/go/internal/devserver"
)

func TestVersion(t *testing.T) {
	if v := wi.Version(); !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(v) {
		t.Fatalf("Version() = %q, want a semantic version", v)
	}
}

func TestAccessTokenIsCached(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s)
	ctx := context.Background()
	first, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	requireToken(t, first, "at_")
	second, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if second != first {
		t.Fatal("second call returned another token")
	}
	if n, m := s.Count(t, "/oauth/token"), s.Count(t, "/oauth/exchange"); n != 1 || m != 1 {
		t.Fatalf("server saw %d token and %d exchange requests, want 1 and 1", n, m)
	}
	stats, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if stats.CacheMisses != 1 || stats.CacheHits != 1 || stats.RefreshesSucceeded != 1 || stats.ServerRequests != 2 {
		t.Fatalf("stats %+v, want 1 miss, 1 hit, 1 refresh, 2 requests", stats)
	}
}

func TestNewFromEnvironmentOnly(t *testing.T) {
	s := devserver.Start(t)
	t.Setenv("COZE_WORKLOAD_IDENTITY_CLIENT_ID", devserver.ClientID)
	t.Setenv("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET", devserver.ClientSecret)
	t.Setenv("COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT", s.TokenEndpoint())
	t.Setenv("COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT", s.AccessTokenEndpoint())
	t.Setenv("COZE_OUTBOUND_AUTH_ENDPOINT", s.OutboundAuthEndpoint())
	t.Setenv("COZE_SERVER_ENV", "boe_env")
	c, err := wi.New()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	token, err := c.AccessToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	requireToken(t, token, "at_")
	for _, r := range s.Requests(t) {
		if r.Headers["x-tt-env"] != "boe_env" {
			t.Fatalf("%s: x-tt-env %q, want boe_env from COZE_SERVER_ENV", r.Path, r.Headers["x-tt-env"])
		}
	}
}

func TestExchangeToken(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s)
	ctx := context.Background()
	access, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	exchanged, err := c.ExchangeToken(ctx, wi.ExchangeRequest{SubjectToken: access})
	if err != nil {
		t.Fatal(err)
	}
	requireToken(t, exchanged, "at_")
	if exchanged == access {
		t.Fatal("exchange returned the subject token")
	}
}

func TestIntegrationCredential(t *testing.T) {
	s := devserver.Start(t, "--integration", "github=ghp_test_credential")
	c := newClient(t, s)
	credential, err := c.IntegrationCredential(context.Background(), "github")
	if err != nil {
		t.Fatal(err)
	}
	if credential != "ghp_test_credential" {
		t.Fatalf("credential of %d bytes is not the configured one", len(credential))
	}
}

func TestProjectEnvVars(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s)
	vars, err := c.ProjectEnvVars(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []wi.EnvVar{
		{Key: "DATABASE_URL", Value: "postgres://dev:dev@127.0.0.1/dev"},
		{Key: "FEATURE_FLAG", Value: "on"},
		{Key: "GREETING", Value: "héllo wörld"},
	}
	if !slices.Equal(vars, want) {
		t.Fatalf("ProjectEnvVars = %q, want %q", vars, want)
	}
}

func TestInvalidateTokenAndForceRefresh(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s)
	ctx := context.Background()
	first, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.InvalidateToken("at_not_the_cached_one"); err != nil {
		t.Fatal(err)
	}
	if again, _ := c.AccessToken(ctx); again != first {
		t.Fatal("invalidating another token dropped the cached one")
	}
	if err := c.InvalidateToken(first); err != nil {
		t.Fatal(err)
	}
	second, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	requireToken(t, second, "at_")
	if second == first {
		t.Fatal("the invalidated token was handed out again")
	}
	forced, err := c.ForceRefresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if forced == second {
		t.Fatal("ForceRefresh returned the cached token")
	}
	if cached, _ := c.AccessToken(ctx); cached != forced {
		t.Fatal("AccessToken does not return the force-refreshed token")
	}
	if n := s.Count(t, "/oauth/token"); n != 3 {
		t.Fatalf("server saw %d token requests, want 3", n)
	}
}

// An invalidation through one client ends the leases of every client of the
// identity at once: none hands out the rejected token again, even within its lease.
func TestInvalidationEndsTheLeasesOfEveryClient(t *testing.T) {
	s := devserver.Start(t)
	a, b := newClient(t, s), newClient(t, s)
	ctx := context.Background()
	// The second call is answered from the cache: it comes with a lease.
	a.AccessToken(ctx)
	first, err := a.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := b.AccessToken(ctx); again != first {
		t.Fatal("two clients of one identity got different tokens")
	}
	for _, forget := range []func(string) error{
		b.InvalidateToken,
		func(string) error { _, err := b.ForceRefresh(ctx); return err },
	} {
		if err := forget(first); err != nil {
			t.Fatal(err)
		}
		next, err := a.AccessToken(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if next == first {
			t.Fatal("a client handed out a token that another client of its identity dropped")
		}
		if first, err = a.AccessToken(ctx); err != nil || first != next { // leased again
			t.Fatal(first, err)
		}
	}
}
