//! Herd: 64 threads ask one client of a new identity for a token at once;
//! the dev server counts the requests they cause (two is one refresh).

use std::sync::Barrier;

use serde_json::json;

use crate::devserver::{fail, DevServer};
use crate::harness::emit;

pub const THREADS: usize = 64;

/// Herds measured, each on its own new identity.
const HERDS: usize = 5;

pub fn run(server: &DevServer) {
    let ids = server.fresh_client_ids("herd-rust", HERDS);
    let mut requests = Vec::new();
    for id in &ids {
        let client = server.client(id);
        let barrier = Barrier::new(THREADS);
        let before = server.total_requests();
        std::thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    barrier.wait();
                    let token = client
                        .access_token()
                        .unwrap_or_else(|error| fail(&error.to_string()));
                    std::hint::black_box(token.len());
                });
            }
        });
        requests.push((server.total_requests() - before) as f64);
    }
    emit(
        "herd",
        "Rust",
        "library (Rust API, one client)",
        "library",
        "requests",
        &requests,
        json!({ "threads": THREADS }),
    );
}
