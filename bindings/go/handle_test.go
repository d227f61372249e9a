package workloadidentity

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/workload-identity/workload-identity/bindings/go/internal/devserver"
)

func newTestClient(t *testing.T, s *devserver.Server) *Client {
	t.Helper()
	c, err := New(
		WithClientID(devserver.ClientID), WithClientSecret(devserver.ClientSecret),
		WithTokenEndpoint(s.TokenEndpoint()), WithAccessTokenEndpoint(s.AccessTokenEndpoint()),
		WithServerEnv("NONE"),
	)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitFreed waits (collecting garbage) until h's native client has been freed.
func waitFreed(t *testing.T, h *handle) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !h.freed.Load(); {
		if time.Now().After(deadline) {
			t.Fatalf("native client not freed; state %#x", h.state.Load())
		}
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
}

// Close during a call abandoned by its context defers the free until the call returns.
func TestCloseDefersFreeUntilCallReturns(t *testing.T) {
	s := devserver.Start(t)
	s.Fault(t, map[string]any{"path": "/oauth/token", "delay_ms": 500})
	c := newTestClient(t, s)
	h := c.handle
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.AccessToken(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("AccessToken: %v, want context.DeadlineExceeded", err)
	}
	c.Close()
	if h.freed.Load() || h.state.Load() != closedBit|1 {
		t.Fatalf("after Close: freed %v, state %#x; want not freed, closed with one call in flight", h.freed.Load(), h.state.Load())
	}
	waitFreed(t, h)
	if h.state.Load() != closedBit {
		t.Fatalf("state %#x after the call returned", h.state.Load())
	}
}

// A client dropped without Close is freed by its cleanup.
func TestCleanupFreesDroppedClient(t *testing.T) {
	s := devserver.Start(t)
	h := newTestClient(t, s).handle
	waitFreed(t, h)
}

// A late acquire racing the final release never frees twice, nor uses a freed client.
func TestHandleCountsReferences(t *testing.T) {
	h := &handle{} // ptr NULL: wi_client_free(NULL) is a no-op
	for range 2 {
		if !h.acquire() {
			t.Fatal("acquire failed on an open handle")
		}
	}
	h.close()
	h.close()
	if h.acquire() {
		t.Fatal("acquire succeeded after close")
	}
	h.release()
	if h.freed.Load() {
		t.Fatal("freed with a call in flight")
	}
	h.release()
	if !h.freed.Load() || h.state.Load() != closedBit {
		t.Fatalf("after the last release: freed %v, state %#x", h.freed.Load(), h.state.Load())
	}
	if h.acquire() {
		t.Fatal("acquire succeeded after free")
	}
}
