//! Cached calls per second at 1, 2, 4 and 8 threads on one client (Rust API),
//! next to the Rust floor at the same thread counts: how far the machine
//! itself scales.

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::devserver::{fail, DevServer};
use crate::harness::{calls_per_second, emit};

/// Thread counts measured.
pub const THREADS: [usize; 4] = [1, 2, 4, 8];

pub fn run(server: &DevServer) {
    let client = server.client("dev-client");
    client
        .access_token()
        .unwrap_or_else(|error| fail(&error.to_string()));
    measure("Client::access_token", "library", || {
        let token = client
            .access_token()
            .unwrap_or_else(|error| fail(&error.to_string()));
        black_box(token.len());
    });
    let refresh_at = Instant::now() + Duration::from_secs(3000);
    measure("floor: Instant check", "floor", || {
        black_box(Instant::now() < black_box(refresh_at));
    });
}

fn measure(name: &str, role: &str, call: impl Fn() + Sync) {
    let rounds = crate::harness::rounds().div_ceil(2);
    let window = Duration::from_millis(200);
    for threads in THREADS {
        let samples = calls_per_second(threads, rounds, window, &call);
        emit(
            "scaling",
            "Rust",
            name,
            role,
            "calls/s",
            &samples,
            json!({ "threads": threads }),
        );
    }
}
