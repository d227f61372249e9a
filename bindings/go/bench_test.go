package workloadidentity_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workload-identity/workload-identity/bindings/go/internal/devserver"
)

// A cache hit through the binding: one cgo call, a copy of the token into Go
// memory, and the native string wiped and freed.
func BenchmarkAccessTokenCached(b *testing.B) {
	c := newClient(b, devserver.Start(b))
	ctx := context.Background()
	if _, err := c.AccessToken(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.AccessToken(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// The same with a cancellable context (a cached token is still served on the calling goroutine).
func BenchmarkAccessTokenCachedCancellableContext(b *testing.B) {
	c := newClient(b, devserver.Start(b))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := c.AccessToken(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.AccessToken(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// Cache hits from every P at once.
func BenchmarkAccessTokenCachedParallel(b *testing.B) {
	c := newClient(b, devserver.Start(b))
	ctx := context.Background()
	if _, err := c.AccessToken(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.AccessToken(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// The floor of a pure-Go cache: return a cached string after a time check.
func BenchmarkGoFloorCachedString(b *testing.B) {
	type cached struct {
		token   string
		expires time.Time
	}
	var cache atomic.Pointer[cached]
	cache.Store(&cached{token: "at_0123456789abcdef0123456789abcdef", expires: time.Now().Add(time.Hour)})
	get := func() (string, bool) {
		entry := cache.Load()
		return entry.token, time.Now().Before(entry.expires)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := get(); !ok {
			b.Fatal("expired")
		}
	}
}
