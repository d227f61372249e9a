//! What every request of the OAuth operations carries, and what none of their
//! messages and log lines carries: `header.<Name>` headers reach discovery,
//! token, introspection, revocation and registration requests; the token
//! passed in, the client secret and the registration token appear nowhere.

mod common;

use std::sync::{Arc, Mutex};

use common::{oauth_client, server, status_fault};
use wi_devserver::{Fault, FaultKind};
use workload_identity::{set_log_sink, Level};

#[test]
fn custom_headers_reach_every_endpoint() {
    let server = server();
    let client = oauth_client(
        &server,
        &[
            ("header.X-Tenant", "tenant-7"),
            ("header.X-Request-Source", "wi test"),
        ],
        None,
    );
    let token = client.access_token().unwrap();
    client.introspect_token(token.expose(), None).unwrap();
    client.revoke_token(token.expose(), None).unwrap();
    client.register_client("{}").unwrap();
    let requests = server.requests();
    let paths: Vec<&str> = requests
        .iter()
        .map(|request| request.path.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "/.well-known/oauth-authorization-server",
            "/oauth2/token",
            "/oauth2/introspect",
            "/oauth2/revoke",
            "/oauth2/register"
        ]
    );
    for request in &requests {
        assert_eq!(
            request.header("x-tenant"),
            Some("tenant-7"),
            "{}",
            request.path
        );
        assert_eq!(
            request.header("x-request-source"),
            Some("wi test"),
            "{}",
            request.path
        );
    }
}

#[test]
fn no_token_or_secret_in_any_message_or_log_line() {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    set_log_sink(
        Some(Arc::new(move |level: Level, line: &str| {
            sink.lock().unwrap().push(format!("{level:?} {line}"))
        })),
        Level::Debug,
    );
    let server = server();
    let token = "tok-SENSITIVE-7f3a9c";
    server.set_registration_token(Some("reg-SENSITIVE-token"));
    let client = oauth_client(
        &server,
        &[
            ("client_secret", "dev-secret"),
            ("registration_token", "reg-SENSITIVE-wrong"),
            ("max_retries", "1"),
            ("timeout_ms", "200"),
        ],
        None,
    );
    let mut messages = Vec::new();
    for fault in [
        status_fault("/oauth2/introspect", 500, "{}", 2),
        Fault::new("/oauth2/introspect", FaultKind::MalformedJson),
        Fault {
            delay_ms: 600,
            count: 2,
            ..Fault::new("/oauth2/introspect", FaultKind::DelayOnly)
        },
    ] {
        server.push_fault(fault);
        messages.push(
            client
                .token_is_active(token, Some("read"))
                .unwrap_err()
                .to_string(),
        );
    }
    server.push_fault(status_fault(
        "/oauth2/revoke",
        400,
        r#"{"error":"invalid_request","error_description":"bad"}"#,
        1,
    ));
    messages.push(
        client
            .revoke_token(token, Some("access_token"))
            .unwrap_err()
            .to_string(),
    );
    messages.push(client.register_client("{}").unwrap_err().to_string());
    messages.push(format!("{client:?} {:?}", client.config()));
    let lines = lines.lock().unwrap().clone();
    assert!(
        lines.iter().any(|line| line.contains("/oauth2/introspect")),
        "{lines:?}"
    );
    for text in messages.iter().chain(lines.iter()) {
        for secret in ["SENSITIVE", "dev-secret"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}
