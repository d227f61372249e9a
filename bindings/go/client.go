package workloadidentity

// #include "workload_identity.h"
import "C"

import (
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"
)

// Client obtains tokens and credentials for one workload identity
// (C: wi_client). Create it with New and release it with Close.
//
// Safe for concurrent use by any number of goroutines. Clients with the same
// identity (client id, secret, endpoints, lane) share one token cache.
//
// Methods: AccessToken, AccessTokenWithExpiry, DelegatedToken, ExchangeToken,
// IntegrationCredential, ProjectEnvVars, Metadata, Introspect, IsActive,
// Revoke, RegisterClient, InvalidateToken, ForceRefresh, Stats, Close.
type Client struct {
	handle  *handle
	cleanup runtime.Cleanup
	// lease is the token the library lets this client reuse without a call
	// until lease.until (at most 1 s, never past the library's refresh point)
	// and while no token was invalidated since.
	lease     atomic.Pointer[lease]
	leaseHits atomic.Uint64
}

// lease is a token, the monotonic instant until which it may be reused, and
// the library's invalidation counter as it was before the call that got it:
// the lease ends early as soon as the counter moves (an invalidation through
// any client of the process, wi_invalidation_counter).
type lease struct {
	token       string
	until       time.Time
	invalidated uint32
}

// invalidations is the library's process-wide invalidation counter (static C
// memory, valid for good). Read only once the library passed its version
// check: an older library lacks the function, and New refuses it anyway.
var invalidations = invalidationCounter()

func invalidationCounter() *uint32 {
	if libraryError != nil {
		return new(uint32)
	}
	return (*uint32)(unsafe.Pointer(C.wi_invalidation_counter()))
}

// holds reports whether the lease may still be used now.
func (l *lease) holds() bool {
	return time.Now().Before(l.until) && atomic.LoadUint32(invalidations) == l.invalidated
}

// New creates a client. Each option overrides its environment variable
// (COZE_WORKLOAD_IDENTITY_CLIENT_ID, ..._CLIENT_SECRET, ..._TOKEN_ENDPOINT,
// COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT, COZE_OUTBOUND_AUTH_ENDPOINT,
// COZE_SERVER_ENV); with no options the configuration comes from the
// environment alone. No network traffic happens here.
//
// Errors: ErrInvalidArgument for an unknown key or a bad value (naming the
// key), ErrConfiguration naming every missing setting (or naming the
// library file and both versions when the library loaded at start-up is
// older than this package), ErrStore when the token_store directory cannot
// be created or is unsafe.
func New(opts ...Option) (*Client, error) {
	if libraryError != nil {
		return nil, libraryError
	}
	var options *C.wi_options // NULL: environment only
	if len(opts) > 0 {
		options = C.wi_options_new()
		if options == nil {
			return nil, &Error{Status: StatusInternal, Message: "wi_options_new: out of memory"}
		}
		defer C.wi_options_free(options)
		for _, opt := range opts {
			if err := opt.apply(options); err != nil {
				return nil, err
			}
		}
	}
	var native *C.wi_client
	var cerr *C.wi_error
	if status := C.wi_client_new(options, &native, &cerr); status != C.WI_STATUS_OK {
		return nil, takeError(status, cerr)
	}
	c := &Client{handle: &handle{ptr: native}}
	c.cleanup = runtime.AddCleanup(c, (*handle).close, c.handle)
	return c, nil
}

// Close releases the native client. Calls still running in the background
// (after their context ended) keep it alive until they return. Idempotent;
// every later call returns ErrClientClosed. Always returns nil.
func (c *Client) Close() error {
	if c == nil || c.handle == nil {
		return nil
	}
	c.lease.Store(nil)
	c.handle.close()
	c.cleanup.Stop()
	runtime.KeepAlive(c)
	return nil
}
