package workloadidentity_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	wi "github.com/workload-identity/workload-identity/bindings/go"
	"github.com/workload-identity/workload-identity/bindings/go/internal/devserver"
)

// 100 goroutines on a cold cache share one refresh: one request per step.
func TestConcurrentCallersShareOneRefresh(t *testing.T) {
	s := devserver.Start(t)
	s.Fault(t, map[string]any{"path": "/oauth/token", "delay_ms": 200}) // let every caller pile up
	c := newClient(t, s)
	const callers = 100
	tokens := make([]string, callers)
	errs := make([]error, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			ctx := context.Background()
			if i%2 == 1 { // half take the cancellable path
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Minute)
				defer cancel()
			}
			<-start
			tokens[i], errs[i] = c.AccessToken(ctx)
		})
	}
	close(start)
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if tokens[i] != tokens[0] {
			t.Fatalf("caller %d got another token than caller 0", i)
		}
	}
	requireToken(t, tokens[0], "at_")
	if n, m := s.Count(t, "/oauth/token"), s.Count(t, "/oauth/exchange"); n != 1 || m != 1 {
		t.Fatalf("server saw %d token and %d exchange requests, want 1 and 1", n, m)
	}
}

// Close racing with calls: each call returns a token or ErrClientClosed, nothing crashes.
func TestCloseWhileCalling(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s)
	if _, err := c.AccessToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for {
				var err error
				switch i % 4 {
				case 0:
					_, err = c.AccessToken(context.Background())
				case 1:
					_, err = c.AccessToken(ctx)
				case 2:
					_, err = c.Stats()
				case 3:
					_, err = c.IntegrationCredential(ctx, "github")
				}
				if errors.Is(err, wi.ErrClientClosed) {
					return
				}
				if err != nil {
					t.Errorf("goroutine %d: %v", i, err)
					return
				}
			}
		})
	}
	time.Sleep(20 * time.Millisecond)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
}
