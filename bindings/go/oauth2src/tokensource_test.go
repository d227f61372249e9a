package oauth2src_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"

	workloadidentity "github.com/workload-identity/workload-identity/bindings/go"
	"github.com/workload-identity/workload-identity/bindings/go/internal/devserver"
	"github.com/workload-identity/workload-identity/bindings/go/oauth2src"
)

func newClient(t *testing.T, s *devserver.Server, extra ...workloadidentity.Option) *workloadidentity.Client {
	t.Helper()
	c, err := workloadidentity.New(append([]workloadidentity.Option{
		workloadidentity.WithClientID(devserver.ClientID),
		workloadidentity.WithClientSecret(devserver.ClientSecret),
		workloadidentity.WithTokenEndpoint(s.TokenEndpoint()),
		workloadidentity.WithAccessTokenEndpoint(s.AccessTokenEndpoint()),
		workloadidentity.WithServerEnv("NONE"),
	}, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestToken(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s)
	var source oauth2.TokenSource = oauth2src.New(context.Background(), c)
	token, err := source.Token()
	if err != nil {
		t.Fatal(err)
	}
	want, err := c.AccessToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if token.AccessToken != want || token.Type() != "Bearer" {
		t.Fatalf("token of %d bytes, type %q: not the client's Bearer token", len(token.AccessToken), token.Type())
	}
	// The real expiry: the dev server's tokens live an hour.
	if !token.Valid() || token.Expiry.Before(time.Now().Add(59*time.Minute)) || token.Expiry.After(time.Now().Add(61*time.Minute)) {
		t.Fatalf("expiry %v is not the token's (about an hour from now)", token.Expiry)
	}
}

// An oauth2.Transport over the source (no ReuseTokenSource) asks the library
// for each request, so an invalidated token is replaced at once.
func TestHTTPClient(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s)
	ctx := context.Background()
	httpClient := &http.Client{Transport: &oauth2.Transport{Source: oauth2src.New(ctx, c)}}
	get := func() int {
		response, err := httpClient.Get(s.OutboundAuthEndpoint() + "/env")
		if err != nil {
			t.Fatal(err)
		}
		defer response.Body.Close()
		var body struct {
			Code int `json:"code"`
		}
		if err := json.NewDecoder(response.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		if response.StatusCode != http.StatusOK {
			t.Fatalf("HTTP %d, code %d", response.StatusCode, body.Code)
		}
		return body.Code
	}
	if code := get(); code != 0 {
		t.Fatalf("business code %d", code)
	}
	first, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.InvalidateToken(first); err != nil { // the next request must carry a new token
		t.Fatal(err)
	}
	if code := get(); code != 0 {
		t.Fatalf("business code %d after invalidation", code)
	}
	requests := s.Requests(t)
	last := requests[len(requests)-1]
	if last.Path != "/outbound/env" || last.Headers["authorization"] == "Bearer "+first {
		t.Fatal("the request after invalidation did not carry the new token")
	}
}

func TestErrors(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s, workloadidentity.WithClientSecret("wrong-secret"))
	var noContext context.Context // nil means context.Background()
	_, err := oauth2src.New(noContext, c).Token()
	if !errors.Is(err, workloadidentity.ErrTokenRetrieval) {
		t.Fatalf("error %v, want ErrTokenRetrieval", err)
	}
	c.Close()
	if _, err := oauth2src.New(context.Background(), c).Token(); !errors.Is(err, workloadidentity.ErrClientClosed) {
		t.Fatalf("error %v after Close, want ErrClientClosed", err)
	}
}
