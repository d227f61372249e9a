package workloadidentity_test

import (
	"context"
	"errors"
	"testing"
	"time"

	wi "github.com/workload-identity/workload-identity/bindings/go"
	"github.com/workload-identity/workload-identity/bindings/go/internal/devserver"
)

// slowDelay is how long a faulted request takes; a call that honours a 100 ms
// context returns well before it.
const slowDelay = 1500 * time.Millisecond

// requireEndsEarly runs call under a 100 ms timeout and checks that it returns
// context.DeadlineExceeded before the slow request could have finished.
func requireEndsEarly(t *testing.T, call func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	started := time.Now()
	err := call(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(started); elapsed >= slowDelay {
		t.Fatalf("returned after %v: waited for the slow request", elapsed)
	}
}

func TestContextDeadline(t *testing.T) {
	for _, tc := range []struct {
		name, slowPath string
		warm           bool // get the access token first, so that only slowPath is slow
		call           func(context.Context, *wi.Client) error
	}{
		{"AccessToken", "/oauth/token", false, func(ctx context.Context, c *wi.Client) error {
			_, err := c.AccessToken(ctx)
			return err
		}},
		{"ForceRefresh", "/oauth/token", true, func(ctx context.Context, c *wi.Client) error {
			_, err := c.ForceRefresh(ctx)
			return err
		}},
		{"ExchangeToken", "/oauth/exchange", false, func(ctx context.Context, c *wi.Client) error {
			_, err := c.ExchangeToken(ctx, wi.ExchangeRequest{SubjectToken: "s", SubjectTokenType: "urn:x"})
			return err
		}},
		{"IntegrationCredential", "/outbound/integration", true, func(ctx context.Context, c *wi.Client) error {
			_, err := c.IntegrationCredential(ctx, "github")
			return err
		}},
		{"ProjectEnvVars", "/outbound/env", true, func(ctx context.Context, c *wi.Client) error {
			_, err := c.ProjectEnvVars(ctx)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := devserver.Start(t)
			c := newClient(t, s)
			if tc.warm {
				if _, err := c.AccessToken(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			s.Fault(t, map[string]any{"path": tc.slowPath, "delay_ms": slowDelay.Milliseconds()})
			requireEndsEarly(t, func(ctx context.Context) error { return tc.call(ctx, c) })
			if tc.warm { // the abandoned call runs on in the background; the client stays usable
				if _, err := c.AccessToken(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestContextAlreadyCancelled(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.AccessToken(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("AccessToken: %v, want context.Canceled", err)
	}
	if _, err := c.ProjectEnvVars(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ProjectEnvVars: %v, want context.Canceled", err)
	}
	if n := len(s.Requests(t)); n != 0 {
		t.Fatalf("a cancelled context sent %d requests", n)
	}
}

// A warm client whose token another client of the same identity invalidated
// must still honour ctx: the refresh it would wait for is slow.
func TestContextWarmClientAfterInvalidation(t *testing.T) {
	s := devserver.Start(t)
	a := newClient(t, s)
	b := newClient(t, s)
	token, err := b.AccessToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.InvalidateToken(token); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // b's local lease (at most 1 s) runs out
	s.Fault(t, map[string]any{"path": "/oauth/token", "delay_ms": slowDelay.Milliseconds()})
	requireEndsEarly(t, func(ctx context.Context) error {
		_, err := b.AccessToken(ctx)
		return err
	})
}
