package workloadidentity

// #include "workload_identity.h"
import "C"

// Stats are the counters of a client's identity, shared by every client of
// that identity (C: wi_stats).
type Stats struct {
	CacheHits          uint64 // calls answered from the cache without waiting
	CacheMisses        uint64 // calls that found no usable token
	RefreshesStarted   uint64
	RefreshesSucceeded uint64
	RefreshesFailed    uint64
	StaleServed        uint64 // calls answered from the cache while a refresh was failing
	Retries            uint64 // requests retried after a transient failure
	ServerRequests     uint64 // HTTP requests sent, all endpoints
	// Exchanges and delegations answered from the exchanged-token cache.
	ExchangeCacheHits      uint64
	ExchangeCacheMisses    uint64 // exchanges that found no usable cached token
	ExchangeCacheEvictions uint64 // exchanged tokens dropped to make room for another
}

// Stats returns the counters of the client's identity. Never waits on the network.
//
// Errors: ErrClientClosed.
func (c *Client) Stats() (Stats, error) {
	return callNow(c, func(native *C.wi_client) (Stats, error) {
		var s C.wi_stats
		s.struct_size = C.uint32_t(C.sizeof_wi_stats)
		if status := C.wi_client_stats(native, &s); status != C.WI_STATUS_OK {
			return Stats{}, takeError(status, nil)
		}
		return Stats{
			CacheHits:              uint64(s.cache_hits) + c.leaseHits.Load(), // + lease hits
			CacheMisses:            uint64(s.cache_misses),
			RefreshesStarted:       uint64(s.refreshes_started),
			RefreshesSucceeded:     uint64(s.refreshes_succeeded),
			RefreshesFailed:        uint64(s.refreshes_failed),
			StaleServed:            uint64(s.stale_served),
			Retries:                uint64(s.retries),
			ServerRequests:         uint64(s.server_requests),
			ExchangeCacheHits:      uint64(s.exchange_cache_hits),
			ExchangeCacheMisses:    uint64(s.exchange_cache_misses),
			ExchangeCacheEvictions: uint64(s.exchange_cache_evictions),
		}, nil
	})
}
