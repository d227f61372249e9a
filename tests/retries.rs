//! Retries with backoff: what is retried, what is not, and Retry-After.

mod common;

use std::time::{Duration, Instant};

use common::{client, server, status_fault};
use wi_devserver::FaultKind;

#[test]
fn server_errors_and_429_are_retried() {
    let server = server();
    server.push_fault(status_fault("/oauth/token", 503, "{}", 1));
    server.push_fault(status_fault("/oauth/exchange", 429, "{}", 1));
    let client = client(&server, &[]);
    client.access_token().unwrap();
    assert_eq!(server.request_count("/oauth/token"), 2);
    assert_eq!(server.request_count("/oauth/exchange"), 2);
    assert_eq!(client.stats().retries, 2);
}

#[test]
fn retries_stop_at_max_retries() {
    let server = server();
    server.push_fault(status_fault("/oauth/token", 502, "{}", 10));
    let client = client(&server, &[("max_retries", "2")]);
    let error = client.access_token().unwrap_err();
    assert_eq!(error.http_status(), Some(502));
    assert!(error.is_retryable());
    assert_eq!(server.request_count("/oauth/token"), 3);
}

#[test]
fn client_errors_are_not_retried() {
    let server = server();
    server.push_fault(status_fault(
        "/oauth/token",
        400,
        r#"{"error":"invalid_request"}"#,
        10,
    ));
    let error = client(&server, &[]).access_token().unwrap_err();
    assert_eq!(error.oauth_error(), Some("invalid_request"));
    assert_eq!(server.request_count("/oauth/token"), 1);
}

#[test]
fn oauth_temporarily_unavailable_is_retried() {
    let server = server();
    server.push_fault(status_fault(
        "/oauth/token",
        400,
        r#"{"error":"temporarily_unavailable"}"#,
        1,
    ));
    client(&server, &[]).access_token().unwrap();
    assert_eq!(server.request_count("/oauth/token"), 2);
}

#[test]
fn malformed_success_is_not_retried() {
    let server = server();
    server.push_fault(wi_devserver::Fault::new(
        "/oauth/token",
        FaultKind::MalformedJson,
    ));
    assert!(client(&server, &[]).access_token().is_err());
    assert_eq!(server.request_count("/oauth/token"), 1);
}

#[test]
fn retry_after_is_honoured() {
    let server = server();
    server.push_fault(wi_devserver::Fault::new(
        "/oauth/token",
        FaultKind::Status {
            status: 503,
            body: "{}".into(),
            retry_after: Some(1),
        },
    ));
    let started = Instant::now();
    client(&server, &[]).access_token().unwrap();
    // A lower bound only: the library waited at least what the server asked.
    assert!(started.elapsed() >= Duration::from_millis(950));
}
