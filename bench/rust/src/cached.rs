//! Cached call, one thread: the Rust API next to the Rust floor.

use std::hint::black_box;
use std::time::{Duration, Instant};

use crate::devserver::{fail, DevServer};
use crate::harness::Suite;

/// The floor's cache: a token and the instant it stops being served.
struct Cached {
    token: String,
    refresh_at: Instant,
}

impl Cached {
    /// The least any Rust cache does: a monotonic clock read, a comparison, a borrow.
    #[inline(never)]
    fn get(&self) -> Option<&str> {
        (Instant::now() < self.refresh_at).then_some(self.token.as_str())
    }
}

pub fn run(server: &DevServer) {
    let client = server.client("dev-client");
    let token = client
        .access_token()
        .unwrap_or_else(|error| fail(&error.to_string()));
    let floor = Cached {
        token: token.expose().to_owned(),
        refresh_at: Instant::now() + Duration::from_secs(3000),
    };
    drop(token);

    const COPY: &str = "floor: Instant check + String copy";
    let mut suite = Suite::default();
    suite.library("Client::access_token (copy)", COPY, || {
        let token = client
            .access_token()
            .unwrap_or_else(|error| fail(&error.to_string()));
        black_box(token.len());
    });
    suite.floor(COPY, || {
        black_box(black_box(&floor).get().map(str::to_owned));
    });
    suite.run("cached", "Rust");
}
