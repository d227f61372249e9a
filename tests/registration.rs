//! RFC 7591 registration against the dev server: metadata checked before any
//! request, the initial access token as Bearer, no retry, and a registered
//! client that then gets a token with client_credentials.

mod common;

use common::{oauth_client, server, status_fault};
use workload_identity::{Client, ConfigBuilder, ErrorKind};

/// A client that only registers: `flow=none`, no client id (none exists yet).
fn registrar(server: &wi_devserver::DevServer, extra: &[(&str, &str)]) -> Client {
    let mut builder = ConfigBuilder::new();
    builder
        .set("flow", "none")
        .unwrap()
        .set("issuer", &server.issuer())
        .unwrap();
    for (key, value) in extra {
        builder.set(key, value).unwrap();
    }
    Client::new(builder.build_with_env(|_| None).unwrap()).unwrap()
}

#[test]
fn a_registered_client_gets_a_token_with_client_credentials() {
    let server = server();
    server.set_registration_token(Some("initial-access-token"));
    let client = registrar(&server, &[("registration_token", "initial-access-token")]);
    let answer = client
        .register_client(r#"{"client_name":"reg-test","grant_types":["client_credentials"],"token_endpoint_auth_method":"client_secret_basic"}"#)
        .unwrap();
    let answer: serde_json::Value = serde_json::from_str(answer.expose()).unwrap();
    assert_eq!(answer["client_name"], "reg-test");
    let request = server
        .requests()
        .into_iter()
        .find(|request| request.path == "/oauth2/register")
        .unwrap();
    assert_eq!(
        request.header("authorization"),
        Some("Bearer initial-access-token")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));

    let id = answer["client_id"].as_str().unwrap();
    let secret = answer["client_secret"].as_str().unwrap();
    let registered = oauth_client(
        &server,
        &[
            ("client_id", id),
            ("client_secret", secret),
            ("client_auth", "client_secret_basic"),
        ],
        None,
    );
    let token = registered.access_token().unwrap();
    assert!(registered.token_is_active(token.expose(), None).unwrap());
}

#[test]
fn metadata_that_is_not_a_json_object_is_refused_before_any_request() {
    let server = server();
    let client = registrar(&server, &[]);
    for bad in ["", "[]", "\"client\"", "{\"a\":", "null", "42"] {
        let error = client.register_client(bad).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{bad}");
    }
    assert!(server.requests().is_empty(), "not even discovery");
}

#[test]
fn refusals_are_errors_and_a_failure_is_never_retried() {
    let server = server();
    server.set_registration_token(Some("expected"));
    let error = registrar(&server, &[]).register_client("{}").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::OAuthOperation);
    assert_eq!(error.oauth_error(), Some("invalid_token"));
    assert_eq!(error.http_status(), Some(401));
    let error = registrar(&server, &[("registration_token", "wrong")])
        .register_client("{}")
        .unwrap_err();
    assert!(!error.message().contains("wrong"), "{error}");

    server.set_registration_token(None);
    let client = registrar(&server, &[("max_retries", "3")]);
    let error = client
        .register_client(r#"{"token_endpoint_auth_method":"tls_client_auth"}"#)
        .unwrap_err();
    assert_eq!(error.oauth_error(), Some("invalid_client_metadata"));
    server.push_fault(status_fault("/oauth2/register", 503, "{}", 1));
    let before = server.request_count("/oauth2/register");
    let error = client.register_client("{}").unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert_eq!(
        server.request_count("/oauth2/register"),
        before + 1,
        "sent once"
    );
    server.push_fault(status_fault(
        "/oauth2/register",
        201,
        r#"{"client_secret":"s"}"#,
        1,
    ));
    let error = client.register_client("{}").unwrap_err();
    assert!(error.message().contains("client_id"), "{error}");
    assert!(!error.message().contains("\"s\""), "{error}");
}
