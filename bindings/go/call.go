package workloadidentity

// #include "workload_identity.h"
import "C"

import (
	"context"
	"runtime"
)

// result carries a background call's outcome back to its caller.
type result[T any] struct {
	value T
	err   error
}

// call runs fn on c's native client while holding a reference to it.
//
// fn runs on the calling goroutine when ctx can never end (ctx.Done() ==
// nil). Otherwise it runs on a new goroutine and call returns
// ctx.Err() as soon as ctx ends; fn then finishes in the background, frees what
// it got (fn returns Go values only) and releases the client.
func call[T any](ctx context.Context, c *Client, fn func(*C.wi_client) (T, error)) (T, error) {
	var zero T
	if ctx == nil {
		return zero, invalidArgument("nil context.Context")
	}
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	if ctx.Done() == nil {
		return callNow(c, fn)
	}
	if c == nil || c.handle == nil || !c.handle.acquire() {
		return zero, ErrClientClosed
	}
	done := make(chan result[T], 1)
	go func() {
		defer c.handle.release()
		value, err := fn(c.handle.ptr)
		runtime.KeepAlive(c)
		done <- result[T]{value, err}
	}()
	select {
	case r := <-done:
		return r.value, r.err
	case <-ctx.Done():
		select {
		case r := <-done: // finished at the same moment: keep the answer
			return r.value, r.err
		default:
			return zero, ctx.Err()
		}
	}
}

// callNowOK is callNow for a probe that reports "not now" instead of an
// error; a closed or nil client is "not now" too (the caller's next call
// reports it).
func callNowOK[T any](c *Client, fn func(*C.wi_client) (T, bool)) (T, bool) {
	var zero T
	if c == nil || c.handle == nil || !c.handle.acquire() {
		return zero, false
	}
	defer c.handle.release()
	value, ok := fn(c.handle.ptr)
	runtime.KeepAlive(c)
	return value, ok
}

// callNow runs fn on the calling goroutine (calls that never wait on the network).
func callNow[T any](c *Client, fn func(*C.wi_client) (T, error)) (T, error) {
	var zero T
	if c == nil || c.handle == nil || !c.handle.acquire() {
		return zero, ErrClientClosed
	}
	defer c.handle.release()
	value, err := fn(c.handle.ptr)
	runtime.KeepAlive(c)
	return value, err
}
