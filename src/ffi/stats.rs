//! `wi_stats`: counters of a client's identity.

use crate::ffi::boundary::{client_ref, guard, out_struct_arg};
use crate::ffi::error::wi_status;

/// Counters of one identity (shared by the clients of that identity).
///
/// The caller sets `struct_size` to `sizeof(wi_stats)`; the library fills the
/// members that fit, so that older callers keep working when members are added.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct wi_stats {
    /// Set by the caller to sizeof(wi_stats).
    pub struct_size: u32,
    /// Calls answered from the cache without waiting.
    pub cache_hits: u64,
    /// Calls that found no usable token.
    pub cache_misses: u64,
    /// Refreshes started.
    pub refreshes_started: u64,
    /// Refreshes that produced a token.
    pub refreshes_succeeded: u64,
    /// Refreshes that failed.
    pub refreshes_failed: u64,
    /// Calls answered from the cache while a refresh was failing.
    pub stale_served: u64,
    /// Requests retried after a transient failure.
    pub retries: u64,
    /// HTTP requests sent, all endpoints.
    pub server_requests: u64,
    /// Exchanges (`wi_exchange_token`, `wi_get_delegated_token`) answered
    /// from the exchanged-token cache without waiting.
    pub exchange_cache_hits: u64,
    /// Exchanges that found no usable cached token.
    pub exchange_cache_misses: u64,
    /// Exchanged tokens dropped from the cache to make room for another.
    pub exchange_cache_evictions: u64,
}

/// Fills `out_stats` with the counters of `client`'s identity.
///
/// `client` and `out_stats` are required, and `out_stats->struct_size` must be
/// at least `sizeof(uint32_t)` (else `WI_STATUS_INVALID_ARGUMENT`); members
/// beyond `struct_size` are not touched. On failure with a valid `out_stats`
/// (e.g. `client` NULL), the counters within `struct_size` are 0. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_client_stats(
    client: *const crate::ffi::client::wi_client,
    out_stats: *mut wi_stats,
) -> wi_status {
    guard(
        std::ptr::null_mut(),
        || {
            let out = out_struct_arg(out_stats, "out_stats")?;
            let size = out.struct_size as usize;
            if size < std::mem::size_of::<u32>() {
                return Err(crate::Error::invalid_argument(
                    "out_stats->struct_size must be set to sizeof(wi_stats)",
                ));
            }
            let fits = size.min(std::mem::size_of::<wi_stats>());
            // Every counter 0 until the client is known: what a failure leaves.
            fill(out, &wi_stats::default(), fits);
            let client = &client_ref(client)?.client;
            let stats = client.stats();
            let full = wi_stats {
                struct_size: size.min(std::mem::size_of::<wi_stats>()) as u32,
                cache_hits: stats.cache_hits,
                cache_misses: stats.cache_misses,
                refreshes_started: stats.refreshes_started,
                refreshes_succeeded: stats.refreshes_succeeded,
                refreshes_failed: stats.refreshes_failed,
                stale_served: stats.stale_served,
                retries: stats.retries,
                server_requests: stats.server_requests,
                exchange_cache_hits: stats.exchange_cache_hits,
                exchange_cache_misses: stats.exchange_cache_misses,
                exchange_cache_evictions: stats.exchange_cache_evictions,
            };
            fill(out, &full, fits);
            Ok(())
        },
        || {},
    )
}

/// Copies the first `fits` bytes of `from` to `out`, `struct_size` kept.
///
/// # Safety
/// `out` points to at least `fits` writable bytes (the caller's `struct_size`).
unsafe fn fill(out: &mut wi_stats, from: &wi_stats, fits: usize) {
    let from = wi_stats {
        struct_size: fits as u32,
        ..*from
    };
    // SAFETY: the caller promises `struct_size` writable bytes at `out`; at
    // most that many are copied, from a local of the full size.
    std::ptr::copy_nonoverlapping(
        (&from as *const wi_stats).cast::<u8>(),
        (out as *mut wi_stats).cast::<u8>(),
        fits,
    );
}
