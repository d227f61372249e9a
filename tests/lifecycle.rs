//! Lifecycle calls at a real server: invalidation, force refresh, the 401 retry
//! of outbound calls, and the statistics.

mod common;

use common::{client, server, status_fault};

#[test]
fn invalidate_drops_only_the_rejected_token() {
    let server = server();
    let client = client(&server, &[]);
    let first = client.access_token().unwrap();
    assert!(!client.invalidate_token("some-other-token"));
    assert_eq!(client.access_token().unwrap(), first);
    assert!(client.invalidate_token(first.expose()));
    let second = client.access_token().unwrap();
    assert_ne!(first, second);
    assert_eq!(server.request_count("/oauth/token"), 2);
}

#[test]
fn force_refresh_fetches_now_and_keeps_the_token_on_failure() {
    let server = server();
    let client = client(&server, &[("max_retries", "0")]);
    let first = client.access_token().unwrap();
    let second = client.force_refresh().unwrap();
    assert_ne!(first, second);
    assert_eq!(client.access_token().unwrap(), second);
    server.push_fault(status_fault("/oauth/token", 503, "{}", 1));
    assert!(client.force_refresh().is_err());
    assert_eq!(
        client.access_token().unwrap(),
        second,
        "still-valid token stays in service"
    );
}

#[test]
fn outbound_401_invalidates_and_retries_once() {
    let server = server();
    let client = client(&server, &[]);
    let first = client.access_token().unwrap();
    server.revoke_tokens();
    let credential = client.integration_credential("github").unwrap();
    assert_eq!(credential.expose(), "ghp_dev_github_credential");
    assert_ne!(client.access_token().unwrap(), first);
    server.revoke_tokens();
    assert_eq!(client.project_env_vars().unwrap().len(), 3);
    // A 401 that persists is reported after the single retry.
    server.push_fault(status_fault(
        "/outbound/env",
        401,
        r#"{"code":401,"msg":"no"}"#,
        2,
    ));
    let error = client.project_env_vars().unwrap_err();
    assert_eq!(error.http_status(), Some(401));
    assert_eq!(server.request_count("/outbound/env"), 4);
}

#[test]
fn statistics_count_what_happened() {
    let server = server();
    server.push_fault(status_fault("/oauth/token", 503, "{}", 1));
    let client = client(&server, &[]);
    client.access_token().unwrap();
    client.access_token().unwrap();
    let stats = client.stats();
    assert_eq!(stats.refreshes_started, 1);
    assert_eq!(stats.refreshes_succeeded, 1);
    assert_eq!(stats.refreshes_failed, 0);
    assert_eq!(stats.retries, 1);
    assert_eq!(stats.server_requests, 3);
    assert_eq!(stats.cache_misses, 1);
    assert!(stats.cache_hits >= 1);
}
