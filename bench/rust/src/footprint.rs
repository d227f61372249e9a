//! Footprint: resident memory and heap per extra client, and allocations per
//! cached call (Rust API and C ABI, counted by the global allocator of this
//! binary, which the library linked in as an rlib shares).

use std::ffi::{c_char, CString};
use std::hint::black_box;
use std::ptr::null_mut;

use serde_json::json;
use workload_identity::ffi::client::{
    wi_client, wi_client_new, wi_get_access_token, wi_get_access_token_into,
    wi_get_access_token_lease, wi_get_delegated_token,
};
use workload_identity::ffi::error::wi_status;
use workload_identity::ffi::options::{wi_options_free, wi_options_new, wi_options_set};
use workload_identity::ffi::strings::wi_free_string;
use workload_identity::Client;

use crate::counting_alloc::{allocations, enable, live_bytes};
use crate::devserver::{fail, DevServer};
use crate::harness::emit;

/// Extra clients created per measurement.
const CLIENTS: usize = 100;

/// Calls per allocation count.
const CALLS: u64 = 100_000;

pub fn run_rss(server: &DevServer) {
    enable();
    // One client and one token first: process-wide set-up is no client's cost.
    let warm = server.client("dev-client");
    warm.access_token()
        .unwrap_or_else(|error| fail(&error.to_string()));

    let distinct = server.fresh_client_ids("footprint", CLIENTS);
    let (rss, heap) = grow(|| {
        distinct
            .iter()
            .map(|id| fetching_client(server, id))
            .collect()
    });
    emit_per_client("distinct identities", rss, heap);

    let shared = server.fresh_client_ids("footprint-shared", 1).remove(0);
    let (rss, heap) = grow(|| {
        (0..CLIENTS)
            .map(|_| fetching_client(server, &shared))
            .collect()
    });
    emit_per_client("one shared identity", rss, heap);
}

/// A new client of `client_id` that has fetched (or been handed) its token.
fn fetching_client(server: &DevServer, client_id: &str) -> Client {
    let client = server.client(client_id);
    client
        .access_token()
        .unwrap_or_else(|error| fail(&error.to_string()));
    client
}

/// RSS and live heap bytes gained per client while `make` creates the clients
/// (kept alive until both are read).
fn grow(make: impl FnOnce() -> Vec<Client>) -> (f64, f64) {
    let (rss_before, heap_before) = (resident_bytes(), live_bytes());
    let clients = make();
    let (rss_after, heap_after) = (resident_bytes(), live_bytes());
    let per_client =
        |before: u64, after: u64| after.wrapping_sub(before) as i64 as f64 / clients.len() as f64;
    (
        per_client(rss_before, rss_after),
        per_client(heap_before, heap_after),
    )
}

fn emit_per_client(identities: &str, rss: f64, heap: f64) {
    let extra = json!({ "clients": CLIENTS });
    emit(
        "footprint",
        "Rust",
        &format!("RSS per client, {identities}"),
        "library",
        "bytes",
        &[rss],
        extra.clone(),
    );
    emit(
        "footprint",
        "Rust",
        &format!("heap per client, {identities}"),
        "library",
        "bytes",
        &[heap],
        extra,
    );
}

/// VmRSS of this process.
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_else(|error| fail(&error.to_string()));
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kib| kib * 1024)
        .unwrap_or_else(|| fail("no VmRSS in /proc/self/status"))
}

pub fn run_allocs(server: &DevServer) {
    enable();
    let client = server.client("dev-client");
    client
        .access_token()
        .unwrap_or_else(|error| fail(&error.to_string()));
    let native = native_client(server);

    count("Client::access_token", || {
        let token = client
            .access_token()
            .unwrap_or_else(|error| fail(&error.to_string()));
        black_box(token.len());
    });
    count("Client::access_token_lease", || {
        let length = client
            .access_token_lease(|lease| lease.token.len())
            .unwrap_or_else(|error| fail(&error.to_string()));
        black_box(length);
    });
    let user = CString::new(
        client
            .access_token()
            .unwrap_or_else(|error| fail(&error.to_string()))
            .expose(),
    )
    .unwrap_or_else(|_| fail("a token holds no NUL"));
    count("wi_get_delegated_token + wi_free_string (cached)", || unsafe {
        let mut token: *mut c_char = null_mut();
        check(wi_get_delegated_token(
            native,
            user.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            &mut token,
            null_mut(),
        ));
        wi_free_string(black_box(token));
    });
    count("wi_get_access_token + wi_free_string", || unsafe {
        let mut token: *mut c_char = null_mut();
        check(wi_get_access_token(native, &mut token, null_mut()));
        wi_free_string(black_box(token));
    });
    count("wi_get_access_token_lease + wi_free_string", || unsafe {
        let mut token: *mut c_char = null_mut();
        let mut lease_ms = 0u32;
        check(wi_get_access_token_lease(
            native,
            &mut token,
            &mut lease_ms,
            null_mut(),
        ));
        wi_free_string(black_box(token));
    });
    count("wi_get_access_token_into (stack buffer)", || unsafe {
        let mut buffer = [0 as c_char; 512];
        let mut length = 0usize;
        check(wi_get_access_token_into(
            native,
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut length,
            null_mut(),
        ));
        black_box(&buffer);
    });
}

/// Prints the allocations per call of `call`, over CALLS calls.
fn count(name: &str, mut call: impl FnMut()) {
    call();
    let before = allocations();
    for _ in 0..CALLS {
        call();
    }
    let per_call = (allocations() - before) as f64 / CALLS as f64;
    let lang = if name.starts_with("wi_") {
        "C ABI"
    } else {
        "Rust"
    };
    emit(
        "allocs",
        lang,
        name,
        "library",
        "allocs/call",
        &[per_call],
        json!({ "calls": CALLS }),
    );
}

/// A C ABI client of `dev-client` with a warm cache (never freed: the process ends).
fn native_client(server: &DevServer) -> *const wi_client {
    let text = |value: &str| CString::new(value).unwrap_or_else(|_| fail("NUL in a setting"));
    unsafe {
        let options = wi_options_new();
        for (key, value) in [
            ("client_id", "dev-client".to_owned()),
            ("client_secret", "dev-secret".to_owned()),
            ("token_endpoint", server.token_endpoint()),
            ("access_token_endpoint", server.access_token_endpoint()),
        ] {
            check(wi_options_set(
                options,
                text(key).as_ptr(),
                text(&value).as_ptr(),
                null_mut(),
            ));
        }
        let mut client: *mut wi_client = null_mut();
        check(wi_client_new(options, &mut client, null_mut()));
        wi_options_free(options);
        let mut token: *mut c_char = null_mut();
        check(wi_get_access_token(client, &mut token, null_mut()));
        wi_free_string(token);
        client
    }
}

fn check(status: wi_status) {
    if status as u32 != 0 {
        fail(&format!("C ABI call failed with status {}", status as u32));
    }
}
