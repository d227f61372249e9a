// Package oauth2src adapts a workloadidentity.Client to golang.org/x/oauth2,
// so that the main package does not depend on it.
//
//	client, _ := workloadidentity.New()
//	httpClient := oauth2.NewClient(ctx, oauth2src.New(ctx, client))
package oauth2src

import (
	"context"

	"golang.org/x/oauth2"

	workloadidentity "github.com/workload-identity/workload-identity/bindings/go"
)

// TokenSource is an oauth2.TokenSource over a workloadidentity.Client.
// Safe for concurrent use.
type TokenSource struct {
	client *workloadidentity.Client
	ctx    context.Context
}

// New returns a TokenSource whose Token calls client.AccessToken(ctx); ctx
// bounds every call (nil: context.Background()). Closing the client makes
// Token return workloadidentity.ErrClientClosed.
func New(ctx context.Context, client *workloadidentity.Client) *TokenSource {
	if ctx == nil {
		ctx = context.Background()
	}
	return &TokenSource{client: client, ctx: ctx}
}

// Token returns the client's current access token as a Bearer token.
//
// Its Expiry is the token's real expiry (the time the request that obtained
// it was sent plus its expires_in), so a wrapper such as
// oauth2.ReuseTokenSource (which oauth2.NewClient applies) reuses it until
// shortly before then. The library itself refreshes ahead of expiry: asking
// it on every request instead costs well under a microsecond for a cached
// token and picks up a replaced or invalidated token at once: use
// &http.Client{Transport: &oauth2.Transport{Source: source}} for that.
//
// Errors are those of AccessToken: *workloadidentity.Error, ErrClientClosed or ctx.Err().
func (s *TokenSource) Token() (*oauth2.Token, error) {
	token, expiry, err := s.client.AccessTokenWithExpiry(s.ctx)
	if err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: token, TokenType: "Bearer", Expiry: expiry}, nil
}
