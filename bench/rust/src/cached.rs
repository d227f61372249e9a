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
    // The user of the delegation: the client's own token (a live access
    // token of the dev server, as long as a real user's).
    let user = client
        .access_token()
        .unwrap_or_else(|error| fail(&error.to_string()));

    const BORROW: &str = "floor: Instant check + borrow";
    const COPY: &str = "floor: Instant check + String copy";
    // The cache is the same for every flow and store: these rows show it.
    let store = std::env::temp_dir().join(format!("wi-bench-store-{}", std::process::id()));
    let store_setting = format!("file:{}", store.display());
    let flows = [
        (
            "flow=client_credentials",
            server.oauth_client(&[("flow", "client_credentials")]),
        ),
        (
            "flow=password",
            server.oauth_client(&[
                ("flow", "password"),
                ("username", "dev-user"),
                ("password", "dev-password"),
            ]),
        ),
        (
            "flow=client_credentials, token_store=file",
            server.oauth_client(&[
                ("flow", "client_credentials"),
                ("token_store", &store_setting),
            ]),
        ),
    ];
    let mut suite = Suite::default();
    suite.library("Client::access_token (copy)", COPY, || {
        let token = client
            .access_token()
            .unwrap_or_else(|error| fail(&error.to_string()));
        black_box(token.len());
    });
    suite.library("Client::access_token_lease (lend)", BORROW, || {
        let length = client
            .access_token_lease(|lease| lease.token.len() + lease.fresh_for.subsec_nanos() as usize)
            .unwrap_or_else(|error| fail(&error.to_string()));
        black_box(length);
    });
    suite.library("Client::delegated_token (cached)", COPY, || {
        let delegated = client
            .delegated_token(user.expose(), None, None)
            .unwrap_or_else(|error| fail(&error.to_string()));
        black_box(delegated.access_token.len());
    });
    for (label, flow_client) in &flows {
        flow_client
            .access_token()
            .unwrap_or_else(|error| fail(&error.to_string()));
        suite.library(
            &format!("Client::access_token (copy), {label}"),
            COPY,
            move || {
                let token = flow_client
                    .access_token()
                    .unwrap_or_else(|error| fail(&error.to_string()));
                black_box(token.len());
            },
        );
    }
    suite.floor(BORROW, || {
        black_box(black_box(&floor).get().map(str::len));
    });
    suite.floor(COPY, || {
        black_box(black_box(&floor).get().map(str::to_owned));
    });
    suite.run("cached", "Rust");
    let _ = std::fs::remove_dir_all(&store);
}
