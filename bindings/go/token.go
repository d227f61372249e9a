package workloadidentity

// #include "shims.h"
import "C"

import (
	"context"
	"sync/atomic"
	"time"
)

// AccessToken returns the access token: from the cache, or through the
// client's flow (by default the Coze two-step flow). Concurrent callers share
// one refresh.
//
// Context: a token the library can hand out without waiting on the network
// (asked through wi_peek_access_token_lease on the calling goroutine: a cache
// hit takes well under a microsecond and spawns nothing) is returned whatever
// ctx; otherwise the network call runs on its own goroutine and ctx is
// honoured as described in the package documentation: when ctx ends first,
// AccessToken returns ctx.Err() at once.
//
// Errors: ErrTokenRetrieval, ErrTokenExchange, ErrConfiguration (flow none),
// ErrClientClosed, ctx.Err().
//
// A token the library leased to this client (see wi_get_access_token_lease)
// is returned without a native call while the lease runs (at most a second).
//
// A context that carries a user (WithUser) gets the token delegated for that
// user instead (DelegatedToken with no audience or scope).
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	if user, ok := UserFrom(ctx); ok {
		return c.DelegatedToken(ctx, user, "", "")
	}
	if c != nil {
		if l := c.lease.Load(); l != nil && l.holds() {
			c.leaseHits.Add(1)
			return l.token, nil
		}
	}
	if ctx == nil {
		return "", invalidArgument("nil context.Context")
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	// Read before asking: a lease holds only while the counter keeps this value.
	invalidated := atomic.LoadUint32(invalidations)
	if got, ok := callNowOK(c, peekAccessToken); ok {
		c.keepLease(got, invalidated)
		return got.token, nil
	}
	got, err := call(ctx, c, accessTokenLease)
	if err != nil {
		return "", err
	}
	c.keepLease(got, invalidated)
	return got.token, nil
}

// AccessTokenWithExpiry returns the access token and its expiry: the time the
// request that obtained it was sent plus its expires_in. Context and errors as
// for AccessToken (it always asks the library, never the local lease).
func (c *Client) AccessTokenWithExpiry(ctx context.Context) (string, time.Time, error) {
	got, err := call(ctx, c, accessTokenWithExpiry)
	if err != nil {
		return "", time.Time{}, err
	}
	return got.token, time.UnixMilli(got.expiresAtUnixMs), nil
}

// keepLease keeps a leased token for local reuse while its lease runs and
// the invalidation counter keeps the value read before the call.
func (c *Client) keepLease(got leased, invalidated uint32) {
	if got.leaseMs > 0 && !c.handle.isClosed() {
		until := time.Now().Add(time.Duration(got.leaseMs) * time.Millisecond)
		c.lease.Store(&lease{got.token, until, invalidated})
	}
}

// ForceRefresh fetches a new access token now, whatever the cache holds
// (joining a refresh already in flight), and returns it. On failure a
// still-valid cached token stays in service for other callers.
//
// Errors as for AccessToken.
func (c *Client) ForceRefresh(ctx context.Context) (string, error) {
	if c != nil {
		c.lease.Store(nil)
	}
	return call(ctx, c, forceRefresh)
}

// leased is a token and the lease the library granted with it.
type leased struct {
	token   string
	leaseMs uint32
}

// peekAccessToken never waits on the network: ok false means "go to the network".
func peekAccessToken(native *C.wi_client) (leased, bool) {
	r := C.wi_go_peek_access_token_lease(native)
	if r.value == nil {
		return leased{}, false
	}
	return leased{takeOwnedString(r.value), uint32(r.lease_ms)}, true
}

// expiring is a token and its expiry as Unix milliseconds.
type expiring struct {
	token           string
	expiresAtUnixMs int64
}

func accessTokenWithExpiry(native *C.wi_client) (expiring, error) {
	r := C.wi_go_access_token_with_expiry(native)
	token, err := takeString(r.outcome)
	return expiring{token, int64(r.expires_at_unix_ms)}, err
}

func accessTokenLease(native *C.wi_client) (leased, error) {
	r := C.wi_go_access_token_lease(native)
	token, err := takeString(r.outcome)
	return leased{token, uint32(r.lease_ms)}, err
}

func forceRefresh(native *C.wi_client) (string, error) {
	return takeString(C.wi_go_force_refresh(native))
}

// InvalidateToken drops the cached access token only if it is still
// rejectedToken (one that a service refused); a token refreshed meanwhile is
// kept. Succeeds whether or not the token matched. Never waits on the network.
//
// Errors: ErrInvalidArgument (a NUL byte), ErrClientClosed.
func (c *Client) InvalidateToken(rejectedToken string) error {
	if err := checkString("rejected token", rejectedToken); err != nil {
		return err
	}
	_, err := callNow(c, func(native *C.wi_client) (struct{}, error) {
		token := newCString(rejectedToken)
		defer freeCString(token)
		c.lease.Store(nil)
		var cerr *C.wi_error
		if status := C.wi_invalidate_token(native, token, &cerr); status != C.WI_STATUS_OK {
			return struct{}{}, takeError(status, cerr)
		}
		return struct{}{}, nil
	})
	return err
}
