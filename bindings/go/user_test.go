package workloadidentity_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	wi "github.com/workload-identity/workload-identity/bindings/go"
	"github.com/workload-identity/workload-identity/bindings/go/internal/devserver"
)

const users = 8

// userTokens returns the tokens of user-0 .. user-7, by user name.
func userTokens(t *testing.T, s *devserver.Server) map[string]string {
	t.Helper()
	tokens := make(map[string]string, users)
	for n := range users {
		name := fmt.Sprintf("user-%d", n)
		tokens[name] = s.UserToken(t, name)
	}
	return tokens
}

// Many goroutines for different users (and for none) interleaved on two OS
// threads: a request only ever sees its own user's token, one request per
// user reaches the server, and a request without a user gets the workload's.
func TestUsersNeverMixAcrossGoroutines(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	s := devserver.Start(t)
	c := newClient(t, s)
	own, err := c.AccessToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tokens := userTokens(t, s)
	names := []string{""} // "" runs without a user
	for name := range tokens {
		names = append(names, name)
	}
	// Each delegation waits 100 ms at the server: the cold callers pile up.
	s.Fault(t, map[string]any{"path": "/oauth/exchange", "count": users, "delay_ms": 100})

	const requests = 270
	seen := make([][]string, requests)
	errs := make([]error, requests)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range requests {
		wg.Go(func() {
			name := names[i%len(names)]
			ctx := context.Background()
			if i%2 == 1 { // half take the cancellable path
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Minute)
				defer cancel()
			}
			if name != "" {
				ctx = wi.WithUser(ctx, tokens[name])
			}
			<-start
			for range 5 {
				token, err := c.AccessToken(ctx)
				if err != nil {
					errs[i] = err
					return
				}
				seen[i] = append(seen[i], token)
				runtime.Gosched()
			}
		})
	}
	close(start)
	wg.Wait()

	byUser := map[string]string{}
	for i := range requests {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		name := names[i%len(names)]
		for _, token := range seen[i] {
			if name == "" {
				if token != own {
					t.Fatalf("request %d without a user got another token than the workload's", i)
				}
				continue
			}
			if first, ok := byUser[name]; ok && first != token {
				t.Fatalf("request %d for %s saw two different tokens", i, name)
			}
			byUser[name] = token
		}
	}
	distinct := map[string]bool{}
	for name, token := range byUser {
		if subject := s.SubjectOf(t, token); subject != name {
			t.Fatalf("a request for %s got a token of %q", name, subject)
		}
		distinct[token] = true
	}
	if len(distinct) != users {
		t.Fatalf("%d distinct delegated tokens for %d users", len(distinct), users)
	}
	if n := s.Count(t, "/oauth/exchange"); n != users+1 { // + the workload's own token
		t.Fatalf("%d exchanges, want one per user and one for the workload", n)
	}
	stats, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	// Every call that had to wait for its user's first token is a miss.
	if stats.ExchangeCacheMisses < users || stats.ExchangeCacheHits == 0 {
		t.Fatalf("exchange cache: %d misses, %d hits", stats.ExchangeCacheMisses, stats.ExchangeCacheHits)
	}
}

// The user belongs to the context: a handler that panics or returns early
// leaves nothing behind, work it starts keeps its user, and a nested
// WithUser wins only below it.
func TestUserScopeEndsWithItsContext(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s)
	ctx := context.Background()
	own, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tokens := userTokens(t, s)

	panicking := func() (recovered any) {
		defer func() { recovered = recover() }()
		userCtx := wi.WithUser(ctx, tokens["user-1"])
		if token, err := c.AccessToken(userCtx); err != nil || token == own {
			t.Errorf("inside the scope: err %v, own token %v", err, token == own)
		}
		panic("the request failed")
	}
	if panicking() == nil {
		t.Fatal("the handler did not panic")
	}
	if token, err := c.AccessToken(ctx); err != nil || token != own {
		t.Fatalf("after a panic: err %v, own token %v", err, token == own)
	}

	var started chan string
	returnsEarly := func(userToken string) {
		userCtx := wi.WithUser(ctx, userToken)
		started = make(chan string, 1)
		go func() { // work the handler does not wait for
			time.Sleep(20 * time.Millisecond)
			token, _ := c.AccessToken(userCtx)
			started <- token
		}()
	}
	returnsEarly(tokens["user-2"])
	if token, err := c.AccessToken(ctx); err != nil || token != own {
		t.Fatalf("after an early return: err %v, own token %v", err, token == own)
	}
	if subject := s.SubjectOf(t, <-started); subject != "user-2" {
		t.Fatalf("the handler's pending work ran for %q", subject)
	}

	outer := wi.WithUser(ctx, tokens["user-3"])
	inner := wi.WithUser(outer, tokens["user-4"])
	for userCtx, want := range map[context.Context]string{outer: "user-3", inner: "user-4"} {
		token, err := c.AccessToken(userCtx)
		if err != nil {
			t.Fatal(err)
		}
		if subject := s.SubjectOf(t, token); subject != want {
			t.Fatalf("got a token of %q, want %q", subject, want)
		}
	}
	if got, ok := wi.UserFrom(ctx); ok || got != "" {
		t.Fatal("the background context carries a user")
	}
	if got, ok := wi.UserFrom(inner); !ok || got != tokens["user-4"] {
		t.Fatal("UserFrom does not return the innermost user")
	}
}

func TestDelegatedTokenIsCachedPerUserAudienceAndScope(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s)
	ctx := context.Background()
	user := s.UserToken(t, "alice")
	first, err := c.DelegatedToken(ctx, user, "", "")
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.DelegatedToken(ctx, user, "", "")
	if err != nil || again != first {
		t.Fatalf("second call: err %v, same token %v", err, again == first)
	}
	targeted, err := c.DelegatedToken(ctx, user, "orders", "orders:read")
	if err != nil || targeted == first {
		t.Fatalf("another audience: err %v, same token %v", err, targeted == first)
	}
	requests := s.Requests(t)
	last := requests[len(requests)-1]
	if last.Form["audience"] != "orders" || last.Form["scope"] != "orders:read" ||
		last.Form["subject_token"] != user {
		t.Fatal("the delegation did not send the user token, audience and scope")
	}
	if subject := s.SubjectOf(t, targeted); subject != "alice" {
		t.Fatalf("delegated token of %q", subject)
	}
}

func TestBadUserTokensAreInvalidArguments(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s)
	ctx := context.Background()
	for _, bad := range []string{"", "at_x\x00y"} {
		_, err := c.DelegatedToken(ctx, bad, "", "")
		requireError(t, err, wi.ErrInvalidArgument, wi.StatusInvalidArgument)
		_, err = c.AccessToken(wi.WithUser(ctx, bad))
		requireError(t, err, wi.ErrInvalidArgument, wi.StatusInvalidArgument)
	}
	_, err := c.DelegatedToken(ctx, "at_x", "aud\x00", "")
	requireError(t, err, wi.ErrInvalidArgument, wi.StatusInvalidArgument)
	if n := len(s.Requests(t)); n != 0 {
		t.Fatalf("bad input sent %d requests", n)
	}
	var none context.Context // a nil context carries no user, and is not dereferenced
	if _, ok := wi.UserFrom(none); ok {
		t.Fatal("a nil context carries a user")
	}
}

func TestRefusedUserTokenSaysSoAndIsNotCached(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s)
	ctx := context.Background()
	if _, err := c.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	expired := "at_" + strings.Repeat("0", 32)
	for range 2 {
		before := s.Count(t, "/oauth/exchange")
		_, err := c.AccessToken(wi.WithUser(ctx, expired))
		e := requireError(t, err, wi.ErrTokenExchange, wi.StatusTokenExchange)
		if !strings.Contains(e.Message, "refused the user token") || strings.Contains(err.Error(), expired) {
			t.Fatalf("message %q", e.Message)
		}
		if e.Retryable || e.OAuthCode != "invalid_grant" || e.HTTPStatus != 400 {
			t.Fatalf("retryable %v, code %q, HTTP %d", e.Retryable, e.OAuthCode, e.HTTPStatus)
		}
		if n := s.Count(t, "/oauth/exchange"); n != before+1 {
			t.Fatalf("%d exchanges, want one more each time (not cached)", n-before)
		}
	}
}

// A context carrying a user prints no token (fmt shows a context's values).
func TestPrintedUserContextShowsNoToken(t *testing.T) {
	const secret = "user-token-that-must-not-print"
	ctx := wi.WithUser(context.Background(), secret)
	for _, printed := range []string{fmt.Sprint(ctx), fmt.Sprintf("%+v", ctx), fmt.Sprintf("%#v", ctx)} {
		if strings.Contains(printed, secret) {
			t.Errorf("the printed context shows the token: %s", printed)
		}
	}
	if token, ok := wi.UserFrom(ctx); !ok || token != secret {
		t.Errorf("UserFrom: %q, %v", token, ok)
	}
}
