package workloadidentity

// #include "shims.h"
import "C"

import (
	"context"
	"sync/atomic"
	"time"
)

// AccessToken returns the access token: from the cache, or through the
// two-step flow (client credentials for an ID token, then an RFC 8693
// exchange). Concurrent callers share one refresh.
//
// Context: when the previous AccessToken or ForceRefresh on this client
// returned a token, the cache is warm and the call is made directly on the
// calling goroutine (a cache hit takes well under a microsecond and spawns
// nothing); the library refreshes ahead of expiry in the background, so such a
// call waits on the network only if the token was dropped or ran out since
// (e.g. another client of the same identity invalidated it), and then ignores
// ctx, bounded by the client's deadline. Otherwise ctx is honoured as
// described in the package documentation.
//
// Errors: ErrTokenRetrieval (step 1), ErrTokenExchange (step 2), ErrClientClosed, ctx.Err().
//
// A token the library leased to this client (see wi_get_access_token_lease)
// is returned without a native call while the lease runs (at most a second).
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	if c != nil {
		if l := c.lease.Load(); l != nil && l.holds() {
			c.leaseHits.Add(1)
			return l.token, nil
		}
	}
	invalidated := atomic.LoadUint32(invalidations)
	warm := c != nil && c.warm.Load()
	got, err := call(ctx, c, warm, accessTokenLease)
	c.noteOutcome(err)
	if err != nil {
		return "", err
	}
	if got.leaseMs > 0 && !c.handle.isClosed() {
		until := time.Now().Add(time.Duration(got.leaseMs) * time.Millisecond)
		c.lease.Store(&lease{got.token, until, invalidated})
	}
	return got.token, nil
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
	token, err := call(ctx, c, false, forceRefresh)
	c.noteOutcome(err)
	return token, err
}

// noteOutcome updates the warm hint after AccessToken or ForceRefresh: a token
// makes it warm, a library failure cold; a call cut short by its context, or
// refused as closed, tells nothing.
func (c *Client) noteOutcome(err error) {
	if err == nil {
		c.warm.Store(true)
	} else if _, failed := err.(*Error); failed && c != nil { // never wrapped here
		c.warm.Store(false)
	}
}

// leased is a token and the lease the library granted with it.
type leased struct {
	token   string
	leaseMs uint32
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
		c.warm.Store(false)
		c.lease.Store(nil)
		var cerr *C.wi_error
		if status := C.wi_invalidate_token(native, token, &cerr); status != C.WI_STATUS_OK {
			return struct{}{}, takeError(status, cerr)
		}
		return struct{}{}, nil
	})
	return err
}
