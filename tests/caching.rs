//! Caching per identity, the expiry buffer, and single flight, at a real server.

mod common;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::{client, client_with_clock, server, settings, status_fault};
use wi_devserver::{Fault, FaultKind};
use workload_identity::{Client, ErrorKind, ManualClock};

#[test]
fn second_call_is_served_from_the_cache() {
    let server = server();
    let client = client(&server, &[]);
    let first = client.access_token().unwrap();
    let second = client.access_token().unwrap();
    assert_eq!(first, second);
    assert_eq!(server.requests().len(), 2);
    let stats = client.stats();
    assert_eq!(stats.server_requests, 2);
    assert_eq!(stats.refreshes_started, 1);
    assert_eq!(stats.cache_misses, 1);
    assert!(stats.cache_hits >= 1);
}

#[test]
fn clients_of_one_identity_share_the_cache() {
    let server = server();
    let first = client(&server, &[]).access_token().unwrap();
    let second = client(&server, &[("timeout_ms", "1000")])
        .access_token()
        .unwrap();
    assert_eq!(first, second);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn another_identity_never_gets_the_token() {
    let server = server();
    server.add_client("other-client", "other-secret");
    let token = client(&server, &[]).access_token().unwrap();

    let other = client(
        &server,
        &[
            ("client_id", "other-client"),
            ("client_secret", "other-secret"),
        ],
    );
    let other_token = other.access_token().unwrap();
    assert_ne!(token, other_token);

    let wrong_secret = client(&server, &[("client_secret", "wrong-secret")]);
    let error = wrong_secret.access_token().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenRetrieval);
    assert_eq!(error.oauth_error(), Some("invalid_client"));

    let other_lane = client(&server, &[("server_env", "boe_x")]);
    assert_ne!(other_lane.access_token().unwrap(), token);
}

#[test]
fn short_lifetime_is_used_for_half_its_life_then_refreshed() {
    let server = server();
    server.set_ttl(2);
    let clock = Arc::new(ManualClock::new());
    let client = client_with_clock(&server, &[], clock.clone());
    let first = client.access_token().unwrap();
    // Lifetime 2 s, buffer 60 s: handed out for the first second (refresh ahead
    // from 0.5 s), never after.
    clock.advance(Duration::from_millis(1_200));
    let second = client.access_token().unwrap();
    assert_ne!(first, second);
    assert_eq!(server.request_count("/oauth/token"), 2);
}

#[test]
fn expiry_buffer_zero_uses_the_whole_lifetime_until_the_advisory_point() {
    let server = server();
    server.set_ttl(3);
    let clock = Arc::new(ManualClock::new());
    let client = client_with_clock(&server, &[("expiry_buffer_s", "0")], clock.clone());
    let first = client.access_token().unwrap();
    clock.advance(Duration::from_millis(3_100));
    let second = client.access_token().unwrap();
    assert_ne!(first, second, "an expired token is never handed out");
}

#[test]
fn sixty_four_threads_on_a_cold_cache_cause_two_requests() {
    let server = server();
    // Slow the first response so that every thread arrives while it is in flight.
    server.push_fault(Fault {
        delay_ms: 300,
        ..Fault::new("/oauth/token", FaultKind::DelayOnly)
    });
    let client = client(&server, &[]);
    let barrier = Arc::new(Barrier::new(64));
    let handles: Vec<_> = (0..64)
        .map(|_| {
            let (client, barrier) = (client.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                client.access_token().unwrap()
            })
        })
        .collect();
    let tokens: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(tokens.iter().all(|token| *token == tokens[0]));
    assert_eq!(server.request_count("/oauth/token"), 1);
    assert_eq!(server.request_count("/oauth/exchange"), 1);
    println!(
        "single flight: 64 threads, {} requests",
        server.requests().len()
    );
}

#[test]
fn concurrent_callers_share_one_failure() {
    let server = server();
    server.push_fault(Fault {
        delay_ms: 300,
        ..status_fault("/oauth/token", 401, r#"{"error":"invalid_client"}"#, 1)
    });
    let client = client(&server, &[]);
    let barrier = Arc::new(Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let (client, barrier) = (client.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                client.access_token().unwrap_err()
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap().oauth_error(), Some("invalid_client"));
    }
    assert_eq!(server.request_count("/oauth/token"), 1);
}

#[test]
fn clients_built_from_the_same_settings_are_independent_handles() {
    let server = server();
    let builder = settings(&server, &[]);
    let a = Client::new(builder.build_with_env(|_| None).unwrap()).unwrap();
    drop(a);
    let b = Client::new(builder.build_with_env(|_| None).unwrap()).unwrap();
    b.access_token().unwrap();
}

/// The invalidation counter that ends leases moves when a token is dropped or
/// replaced early (invalidation, forced refresh). (Whether it stays put
/// otherwise cannot be told here: the tests of this binary run in parallel.)
#[test]
fn the_invalidation_counter_moves_when_a_token_is_dropped_early() {
    use std::sync::atomic::Ordering;
    let counter = workload_identity::invalidation_counter();
    let server = server();
    let client = client(&server, &[]);
    let token = client.access_token().unwrap();
    let before = counter.load(Ordering::Acquire);
    client.invalidate_token(token.expose());
    let after_invalidation = counter.load(Ordering::Acquire);
    assert_ne!(after_invalidation, before);
    client.force_refresh().unwrap();
    assert_ne!(counter.load(Ordering::Acquire), after_invalidation);
}
