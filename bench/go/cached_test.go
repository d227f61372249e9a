package bench

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// The binding's cached AccessToken (its local lease, or one cgo call).
func BenchmarkCachedBindingAccessToken(b *testing.B) {
	client := bindingClient(b, "dev-client")
	ctx := context.Background()
	if _, err := client.AccessToken(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.AccessToken(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// golang.org/x/oauth2: ReuseTokenSource(clientcredentials).Token() on a cached token.
func BenchmarkCachedOAuth2ReuseTokenSource(b *testing.B) {
	source := oauth2Source(b, "dev-client")
	if _, err := source.Token(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		token, err := source.Token()
		if err != nil || token.AccessToken == "" {
			b.Fatal(err)
		}
	}
}

// The Go floor: return a cached string after a time.Now check.
func BenchmarkCachedFloorTimeNow(b *testing.B) {
	type cached struct {
		token     string
		refreshAt time.Time
	}
	var cache atomic.Pointer[cached]
	cache.Store(&cached{token: "at_0123456789abcdef0123456789abcdef", refreshAt: time.Now().Add(time.Hour)})
	get := func() (string, bool) {
		entry := cache.Load()
		return entry.token, time.Now().Before(entry.refreshAt)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := get(); !ok {
			b.Fatal("expired")
		}
	}
}
