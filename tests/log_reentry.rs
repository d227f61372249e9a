//! A log callback may call the library, on any thread, at every level: a log
//! shipper authenticated with the workload's own token. No line is emitted
//! while the calling thread leads a refresh, so the callback never waits on
//! its own flight.

mod common;

use std::cell::Cell;
use std::sync::{Arc, Mutex};

use common::{client, server, status_fault};
use workload_identity::{set_log_sink, Client, Level};

thread_local! {
    /// Set while the callback's own call runs: its lines do not call again.
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// Installs a sink up to `level` whose callback gets a token from `client`
/// for every line; returns the outcomes of those calls.
fn reentrant_sink(client: &Client, level: Level) -> Arc<Mutex<Vec<(Level, String)>>> {
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let (client, seen) = (client.clone(), outcomes.clone());
    set_log_sink(
        Some(Arc::new(move |line_level: Level, _: &str| {
            if IN_CALLBACK.with(|flag| flag.replace(true)) {
                return;
            }
            let outcome = match client.access_token() {
                Ok(_) => "ok".to_owned(),
                Err(error) => error.to_string(),
            };
            seen.lock().unwrap().push((line_level, outcome));
            IN_CALLBACK.with(|flag| flag.set(false));
        })),
        level,
    );
    outcomes
}

#[test]
fn a_log_callback_may_get_a_token_at_every_level() {
    for level in [Level::Error, Level::Warn, Level::Info, Level::Debug] {
        let server = server();
        let client = client(&server, &[("deadline_ms", "3000"), ("max_retries", "1")]);
        let outcomes = reentrant_sink(&client, level);
        // Debug (requests) and info (refreshed) lines of a first fetch.
        client.access_token().unwrap();
        // A forced refresh that fails while the token is valid: a warning.
        server.push_fault(status_fault("/oauth/token", 503, "{}", 2));
        assert!(client.force_refresh().is_err());
        // A refresh that fails with no token to serve: an error line.
        let token = client.access_token().unwrap();
        client.invalidate_token(token.expose());
        server.push_fault(status_fault("/oauth/token", 503, "{}", 4));
        let outer = client.access_token().unwrap_err();
        assert!(!outer.to_string().contains("gave up"), "{level:?}: {outer}");
        set_log_sink(None, Level::Error);

        let outcomes = outcomes.lock().unwrap();
        let levels: Vec<Level> = outcomes.iter().map(|(level, _)| *level).collect();
        for expected in [Level::Error, Level::Warn, Level::Info, Level::Debug] {
            if expected <= level {
                assert!(
                    levels.contains(&expected),
                    "{level:?}: no {expected:?} line"
                );
            }
        }
        for (line_level, outcome) in outcomes.iter() {
            assert!(
                !outcome.contains("gave up"),
                "{level:?}: the callback of a {line_level:?} line waited on its own \
                 flight: {outcome}"
            );
        }
    }
}
