package workloadidentity

// #include "workload_identity.h"
import "C"

import "sync/atomic"

// closedBit marks a handle whose Client was closed; the bits below count calls in flight.
const closedBit = int64(1) << 62

// handle owns one native wi_client and frees it exactly once, when it is
// closed and no call is using it: a call that outlives its context keeps the
// native client alive until the call returns, even across Close.
//
// Thread-safe: every method may be called from any goroutine at once.
type handle struct {
	ptr   *C.wi_client // set before the handle is shared; valid while a reference is held
	state atomic.Int64 // calls in flight, plus closedBit once closed
	freed atomic.Bool  // wi_client_free has been called
}

// acquire takes a reference for one call; false once the handle is closed.
func (h *handle) acquire() bool {
	if h.state.Add(1)&closedBit != 0 {
		h.release()
		return false
	}
	return true
}

// release returns a reference; the last one after close frees the client.
func (h *handle) release() {
	if h.state.Add(-1) == closedBit {
		h.free()
	}
}

// close refuses new calls and frees the client now, or when the last call in
// flight returns. Idempotent.
func (h *handle) close() {
	for {
		state := h.state.Load()
		if state&closedBit != 0 {
			return
		}
		if h.state.CompareAndSwap(state, state|closedBit) {
			if state == 0 {
				h.free()
			}
			return
		}
	}
}

// isClosed reports whether close has been called.
func (h *handle) isClosed() bool {
	return h.state.Load()&closedBit != 0
}

// free calls wi_client_free once, however many goroutines see the count reach zero.
func (h *handle) free() {
	if h.freed.CompareAndSwap(false, true) {
		C.wi_client_free(h.ptr)
	}
}
