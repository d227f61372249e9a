//! Every error class, with its status, OAuth code and retryability, at a real server.

mod common;

use std::time::{Duration, Instant};

use common::{client, server, status_fault};
use wi_devserver::{Fault, FaultKind};
use workload_identity::{Client, ConfigBuilder, ErrorKind, ExchangeParams};

#[test]
fn configuration_errors_name_every_missing_setting() {
    let error = ConfigBuilder::new().build_with_env(|_| None).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
    for name in [
        "COZE_WORKLOAD_IDENTITY_CLIENT_ID",
        "COZE_WORKLOAD_IDENTITY_CLIENT_SECRET",
        "COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT",
        "COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT",
    ] {
        assert!(error.to_string().contains(name), "{error}");
    }
}

#[test]
fn outbound_calls_need_their_endpoint() {
    let server = server();
    let mut builder = common::settings(&server, &[]);
    builder.unset("outbound_auth_endpoint").unwrap();
    let client = Client::new(builder.build_with_env(|_| None).unwrap()).unwrap();
    let error = client.integration_credential("github").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
    assert!(error.to_string().contains("COZE_OUTBOUND_AUTH_ENDPOINT"));
    assert_eq!(
        client.project_env_vars().unwrap_err().kind(),
        ErrorKind::Configuration
    );
}

#[test]
fn wrong_secret_is_a_token_retrieval_error() {
    let server = server();
    let error = client(&server, &[("client_secret", "nope")])
        .access_token()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenRetrieval);
    assert_eq!(error.http_status(), Some(401));
    assert_eq!(error.oauth_error(), Some("invalid_client"));
    assert!(!error.is_retryable());
    assert!(!error.to_string().contains("nope"), "no secret in messages");
    assert_eq!(server.requests().len(), 1, "4xx is not retried");
}

#[test]
fn step_two_failure_is_a_token_exchange_error() {
    let server = server();
    server.push_fault(status_fault(
        "/oauth/exchange",
        400,
        r#"{"error":"invalid_grant","error_description":"subject token rejected"}"#,
        1,
    ));
    let error = client(&server, &[]).access_token().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenExchange);
    assert_eq!(error.oauth_error(), Some("invalid_grant"));
    assert_eq!(
        error.oauth_error_description(),
        Some("subject token rejected")
    );
    assert!(error.to_string().contains("subject token rejected"));
}

#[test]
fn general_exchange_errors() {
    let server = server();
    let client = client(&server, &[]);
    let error = client
        .exchange_token(&ExchangeParams {
            subject_token: "not-a-token-of-this-server",
            ..ExchangeParams::default()
        })
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenExchange);
    assert_eq!(error.oauth_error(), Some("invalid_grant"));
    let error = client
        .exchange_token(&ExchangeParams::default())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    let error = client
        .exchange_token(&ExchangeParams {
            subject_token: "x",
            actor_token: Some("y"),
            ..ExchangeParams::default()
        })
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert!(error.to_string().contains("actor_token_type"));
}

#[test]
fn integration_errors() {
    let server = server();
    let client = client(&server, &[("max_retries", "0")]);
    let error = client
        .integration_credential("no-such-integration")
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Integration);
    assert!(error.to_string().contains("1001"), "{error}");
    server.push_fault(status_fault(
        "/outbound/integration",
        500,
        r#"{"code":500,"msg":"boom"}"#,
        1,
    ));
    let error = client.integration_credential("github").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Integration);
    assert_eq!(error.http_status(), Some(500));
    assert!(error.is_retryable());
    assert!(error.to_string().contains("boom"));
    server.push_fault(status_fault(
        "/outbound/env",
        403,
        r#"{"code":403,"msg":"forbidden"}"#,
        1,
    ));
    let error = client.project_env_vars().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Integration);
    assert!(!error.is_retryable());
    assert_eq!(
        client.integration_credential("").unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
}

#[test]
fn token_failure_during_an_integration_call_keeps_its_class() {
    let server = server();
    let error = client(&server, &[("client_secret", "bad")])
        .integration_credential("github")
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenRetrieval);
}

#[test]
fn malformed_and_oversized_responses() {
    let server = server();
    let client = client(&server, &[("max_retries", "0")]);
    server.push_fault(Fault::new("/oauth/token", FaultKind::MalformedJson));
    let error = client.access_token().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenRetrieval);
    assert!(error.to_string().contains("JSON"), "{error}");

    server.push_fault(Fault::new(
        "/oauth/token",
        FaultKind::HugeBody { bytes: 2_000_000 },
    ));
    let error = client.access_token().unwrap_err();
    assert!(error.to_string().contains("larger than"), "{error}");
    assert!(!error.is_retryable());

    server.push_fault(status_fault(
        "/oauth/exchange",
        200,
        r#"{"token_type":"Bearer"}"#,
        1,
    ));
    let error = client.access_token().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenExchange);
    assert!(error.to_string().contains("access_token"), "{error}");

    server.push_fault(status_fault(
        "/outbound/integration",
        200,
        r#"{"code":0,"data":"x"}"#,
        1,
    ));
    assert!(client.integration_credential("github").is_err());
}

#[test]
fn expires_in_forms() {
    let server = server();
    server.set_expires_in(Some(serde_json::json!("120")));
    client(&server, &[]).access_token().unwrap();
    for bad in [
        serde_json::json!("abc"),
        serde_json::json!(0),
        serde_json::json!(-5),
        serde_json::json!(1e30),
    ] {
        let server = common::server();
        server.set_expires_in(Some(bad.clone()));
        let error = client(&server, &[]).access_token().unwrap_err();
        assert!(error.to_string().contains("expires_in"), "{bad}: {error}");
    }
    let server = common::server();
    server.set_expires_in(None);
    client(&server, &[]).access_token().unwrap();
}

#[test]
fn unreachable_server_is_retryable_and_bounded() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("http://127.0.0.1:{port}/token");
    let mut builder = ConfigBuilder::new();
    for (key, value) in [
        ("client_id", "x"),
        ("client_secret", "y"),
        ("token_endpoint", url.as_str()),
        ("access_token_endpoint", url.as_str()),
        ("max_retries", "1"),
    ] {
        builder.set(key, value).unwrap();
    }
    let client = Client::new(builder.build_with_env(|_| None).unwrap()).unwrap();
    let error = client.access_token().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenRetrieval);
    assert!(error.is_retryable());
    assert_eq!(error.http_status(), None);
    assert_eq!(client.stats().server_requests, 2);
}

#[test]
fn slow_server_times_out_within_the_deadline() {
    let server = server();
    server.push_fault(Fault {
        delay_ms: 3_000,
        count: 5,
        ..Fault::new("/oauth/token", FaultKind::DelayOnly)
    });
    let client = client(&server, &[("timeout_ms", "200"), ("deadline_ms", "700")]);
    let started = Instant::now();
    let error = client.access_token().unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert!(
        error.to_string().contains("timed out") || error.to_string().contains("deadline"),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(2_900),
        "bounded by the deadline, not the server"
    );
}

#[test]
fn insecure_http_to_a_remote_host_is_refused() {
    let mut builder = ConfigBuilder::new();
    for (key, value) in [
        ("client_id", "x"),
        ("client_secret", "y"),
        ("token_endpoint", "http://auth.example.com/token"),
        ("access_token_endpoint", "https://auth.example.com/x"),
    ] {
        builder.set(key, value).unwrap();
    }
    let error = builder.build_with_env(|_| None).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
    assert!(error.to_string().contains("allow_insecure_http"));
}

#[test]
fn bad_ca_bundle_and_proxy_are_configuration_errors() {
    let server = server();
    let dir = std::env::temp_dir().join(format!("wi-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let not_pem = dir.join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let mut builder = common::settings(&server, &[]);
    builder
        .set("ca_bundle_path", not_pem.to_str().unwrap())
        .unwrap();
    let error = Client::new(builder.build_with_env(|_| None).unwrap()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
    builder.set("ca_bundle_path", "/no/such/file.pem").unwrap();
    assert_eq!(
        builder.build_with_env(|_| None).unwrap_err().kind(),
        ErrorKind::Configuration
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A token or credential that cannot go in an HTTP header (a control
/// character, a space, non-ASCII) is a malformed response, not retried: it
/// would inject headers downstream (`Authorization: Bearer $(wi token)`).
#[test]
fn tokens_that_cannot_go_in_a_header_are_refused() {
    let server = server();
    for (path, token, kind) in [
        (
            "/oauth/token",
            "id_x\r\nX-Injected: evil",
            ErrorKind::TokenRetrieval,
        ),
        (
            "/oauth/exchange",
            "at_x\r\nX-Injected: evil",
            ErrorKind::TokenExchange,
        ),
        ("/oauth/exchange", "at_é", ErrorKind::TokenExchange),
        ("/oauth/exchange", "at x", ErrorKind::TokenExchange),
        ("/oauth/exchange", "at\u{7f}", ErrorKind::TokenExchange),
    ] {
        let body = serde_json::json!({ "access_token": token, "expires_in": 3600 }).to_string();
        server.push_fault(status_fault(path, 200, &body, 1));
        let before = server.requests().len();
        let error = client(&server, &[("server_env", "charset")])
            .access_token()
            .unwrap_err();
        assert_eq!(error.kind(), kind, "{token:?}: {error}");
        assert!(!error.is_retryable(), "{token:?}: {error}");
        assert_eq!(error.http_status(), Some(200));
        assert!(error.message().contains("header"), "{error}");
        assert!(!error.to_string().contains("Injected"), "{error}");
        let sent = server.requests().len() - before;
        assert!(sent <= 2, "{token:?} was retried: {sent} requests");
    }
    let visible = "at_~+/=!#$%&'()*,-.:;<>?@[]^_`{|}\"\\";
    let body = serde_json::json!({ "access_token": visible, "expires_in": 3600 }).to_string();
    server.push_fault(status_fault("/oauth/exchange", 200, &body, 1));
    let token = client(&server, &[("server_env", "visible")])
        .access_token()
        .unwrap();
    assert_eq!(
        token.expose(),
        visible,
        "every visible ASCII character is accepted"
    );

    let body = r#"{"code":0,"msg":"","data":{"credential":"ghp_x\nX-Injected: evil"}}"#;
    server.push_fault(status_fault("/outbound/integration", 200, body, 1));
    let error = client(&server, &[])
        .integration_credential("github")
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Integration);
    assert!(
        !error.is_retryable() && error.message().contains("header"),
        "{error}"
    );
}

/// One deadline bounds a whole call: the token fetched again after a 401 from
/// the integration API gets what is left of the call's deadline, not a new one.
#[test]
fn one_deadline_bounds_a_call_across_a_401() {
    let server = server();
    let client = client(&server, &[("deadline_ms", "3000"), ("max_retries", "0")]);
    client.access_token().unwrap();
    // The 401 comes after 2 s; the new token would take 5 s.
    server.push_fault(Fault {
        delay_ms: 2000,
        ..status_fault(
            "/outbound/integration",
            401,
            r#"{"code":401,"msg":"expired"}"#,
            1,
        )
    });
    server.push_fault(Fault {
        delay_ms: 5000,
        ..Fault::new("/oauth/token", FaultKind::DelayOnly)
    });
    let started = Instant::now();
    let result = client.integration_credential("github");
    let took = started.elapsed();
    let error = result.expect_err("the call outlived its deadline");
    assert!(error.is_retryable(), "{error}");
    // 3 s, not 2 s + a fresh 3 s for the token.
    assert!(
        took < Duration::from_millis(4_000),
        "took {took:?}: {error}"
    );
}

/// Input quoted in an error message is cut to a few hundred bytes: a 10 MB
/// option key does not make a 10 MB message.
#[test]
fn error_messages_quote_at_most_a_few_hundred_bytes() {
    let huge = "k".repeat(10 << 20);
    let mut messages = Vec::new();
    let mut builder = ConfigBuilder::new();
    messages.push(builder.set(&huge, "x").unwrap_err().to_string());
    for key in ["token_endpoint", "proxy"] {
        messages.push(builder.set(key, &huge).unwrap_err().to_string());
        messages.push(
            builder
                .set(key, &format!("ftp://{huge}"))
                .unwrap_err()
                .to_string(),
        );
    }
    let server = server();
    let mut builder = common::settings(&server, &[]);
    builder.set("ca_bundle_path", &format!("/{huge}")).unwrap();
    messages.push(builder.build_with_env(|_| None).unwrap_err().to_string());
    // Through the C ABI: the key is quoted in the message about its value.
    let key = std::ffi::CString::new(huge.as_str()).unwrap();
    let value = std::ffi::CString::new(vec![0xff_u8]).unwrap();
    // SAFETY: valid handles and strings; the error and options are freed once.
    unsafe {
        use workload_identity::ffi::{error::*, options::*};
        let options = wi_options_new();
        let mut error = std::ptr::null_mut();
        wi_options_set(options, key.as_ptr(), value.as_ptr(), &mut error);
        let message = std::ffi::CStr::from_ptr(wi_error_message(error));
        messages.push(message.to_string_lossy().into_owned());
        wi_error_free(error);
        wi_options_free(options);
    }
    // A server's 900 kB error description.
    let description = "d".repeat(900 << 10);
    let body = serde_json::json!({"error": "invalid_client", "error_description": description});
    server.push_fault(status_fault("/oauth/token", 401, &body.to_string(), 1));
    let error = client(&server, &[]).access_token().unwrap_err();
    messages.push(error.to_string());
    assert!(error.oauth_error_description().unwrap().len() < 1024);
    for message in &messages {
        assert!(
            message.len() < 1024,
            "a {} byte message: {}...",
            message.len(),
            &message[..200]
        );
        assert!(
            message.contains("..."),
            "{}",
            &message[..message.len().min(300)]
        );
    }
}

/// An OAuth error is classified by the response's content (RFC 6749 5.2),
/// whatever its HTTP status: one delivered with 200 is reported with that
/// status and remembered like any other bad-credentials answer, and a success
/// with `"error": null` is a success.
#[test]
fn oauth_errors_are_classified_by_content() {
    let server = server();
    server.push_fault(status_fault(
        "/oauth/token",
        200,
        r#"{"error":"invalid_client","error_description":"unknown client"}"#,
        1,
    ));
    let client = client(&server, &[("server_env", "oauth-200")]);
    let error = client.access_token().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenRetrieval);
    assert_eq!(error.http_status(), Some(200), "{error}");
    assert_eq!(error.oauth_error(), Some("invalid_client"));
    assert!(!error.is_retryable());
    let again = client.access_token().unwrap_err();
    assert_eq!(again.oauth_error(), Some("invalid_client"));
    assert_eq!(
        server.request_count("/oauth/token"),
        1,
        "the failure is remembered, not asked again at once"
    );

    server.push_fault(status_fault(
        "/oauth/token",
        200,
        r#"{"error":"temporarily_unavailable"}"#,
        1,
    ));
    let retried = common::client(&server, &[("server_env", "oauth-200-retry")]);
    assert!(
        retried.access_token().is_ok(),
        "retried after a retryable OAuth error"
    );

    let body = r#"{"access_token":"at_null_error","expires_in":3600,"error":null}"#;
    server.push_fault(status_fault("/oauth/exchange", 200, body, 1));
    let token = common::client(&server, &[("server_env", "null-error")])
        .access_token()
        .unwrap();
    assert_eq!(token.expose(), "at_null_error");
}
