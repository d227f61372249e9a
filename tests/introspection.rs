//! RFC 7662 introspection and the fail-safe check against the dev server:
//! the answer as sent, scopes, every failure an error (false through the C
//! ABI), and the optional cache of positive answers.

mod common;

use std::ffi::CString;
use std::ptr::null_mut;
use std::sync::Arc;
use std::time::Duration;

use common::{oauth_client, server, status_fault};
use serde_json::json;
use wi_devserver::{DevServer, Fault, FaultKind};
use workload_identity::ffi::client::{wi_client, wi_client_free, wi_client_new};
use workload_identity::ffi::error::{wi_error, wi_error_free, wi_error_status, wi_status};
use workload_identity::ffi::oauth::{wi_introspect_token, wi_token_is_active};
use workload_identity::ffi::options::{wi_options_free, wi_options_new, wi_options_set};
use workload_identity::ffi::strings::wi_free_string;
use workload_identity::{Client, ErrorKind, ManualClock};

const INTROSPECT: &str = "/oauth2/introspect";

fn patch(set: serde_json::Value, remove: &[&str]) -> Fault {
    Fault::new(
        INTROSPECT,
        FaultKind::Patch {
            set: set.as_object().cloned().unwrap_or_default(),
            remove: remove.iter().map(|name| name.to_string()).collect(),
        },
    )
}

/// A client whose introspection endpoint is configured (no discovery).
fn client(server: &DevServer, extra: &[(&str, &str)]) -> Client {
    let endpoint = server.introspection_endpoint();
    let mut settings = vec![("introspection_endpoint", endpoint.as_str())];
    settings.extend_from_slice(extra);
    oauth_client(server, &settings, None)
}

#[test]
fn the_answer_comes_back_as_sent_and_scopes_are_checked() {
    let server = server();
    let client = client(&server, &[]);
    let token = server.issue_access_token("dev-client", Some("read write"));
    let answer: serde_json::Value = serde_json::from_str(
        &client
            .introspect_token(&token, Some("access_token"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(answer["active"], true);
    assert_eq!(answer["scope"], "read write");
    assert_eq!(answer["client_id"], "dev-client");
    let request = &server.requests()[0];
    assert_eq!(request.form_value("token"), Some(token.as_str()));
    assert_eq!(request.form_value("token_type_hint"), Some("access_token"));
    assert_eq!(request.client_auth.as_deref(), Some("client_secret_post"));

    assert!(client.token_is_active(&token, None).unwrap());
    assert!(client.token_is_active(&token, Some("read")).unwrap());
    assert!(client.token_is_active(&token, Some("write read")).unwrap());
    assert!(!client.token_is_active(&token, Some("admin")).unwrap());
    assert!(!client.token_is_active(&token, Some("read admin")).unwrap());
    assert!(!client.token_is_active("unknown-token", None).unwrap());
    assert_eq!(
        client.introspect_token("unknown-token", None).unwrap(),
        r#"{"active":false}"#
    );
}

#[test]
fn client_authentication_follows_client_auth() {
    let server = server();
    let client = client(&server, &[("client_auth", "client_secret_basic")]);
    client.token_is_active("t", None).unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.client_auth.as_deref(), Some("client_secret_basic"));
    assert!(request
        .header("authorization")
        .unwrap()
        .starts_with("Basic "));
}

/// Every failure: an error from both calls, never "active".
#[test]
fn every_failure_is_an_error_never_active() {
    let server = server();
    let token = server.issue_access_token("dev-client", Some("read"));
    let fast = [("max_retries", "0"), ("timeout_ms", "300")];
    let cases = [
        ("500", status_fault(INTROSPECT, 500, "{}", 1)),
        (
            "timeout",
            Fault {
                delay_ms: 1_000,
                ..Fault::new(INTROSPECT, FaultKind::DelayOnly)
            },
        ),
        ("not JSON", Fault::new(INTROSPECT, FaultKind::MalformedJson)),
        ("active a string", patch(json!({"active": "true"}), &[])),
        ("active missing", patch(json!({}), &["active"])),
        ("active null", patch(json!({"active": null}), &[])),
        (
            "huge",
            Fault::new(INTROSPECT, FaultKind::HugeBody { bytes: 2_000_000 }),
        ),
        (
            "401",
            status_fault(INTROSPECT, 401, r#"{"error":"invalid_client"}"#, 1),
        ),
    ];
    for (name, fault) in cases {
        for call in 0..2 {
            server.push_fault(fault.clone());
            let client = client(&server, &fast);
            let error = if call == 0 {
                client.token_is_active(&token, Some("read")).unwrap_err()
            } else {
                client.introspect_token(&token, None).unwrap_err()
            };
            assert_eq!(error.kind(), ErrorKind::OAuthOperation, "{name}: {error}");
            assert!(
                !error.message().contains(&token),
                "{name}: the token in {error}"
            );
        }
    }
    let down = oauth_client(
        &server,
        &[
            ("introspection_endpoint", "http://127.0.0.1:1/introspect"),
            ("max_retries", "0"),
        ],
        None,
    );
    let error = down.token_is_active(&token, None).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::OAuthOperation, "{error}");
    assert!(error.is_retryable());
    let client = client(&server, &[]);
    for (token, scope) in [("", None), ("t", Some(""))] {
        let error = client.token_is_active(token, scope).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");
    }
    assert_eq!(
        client.introspect_token("t", Some("")).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
}

struct CClient(*mut wi_client);

impl Drop for CClient {
    fn drop(&mut self) {
        unsafe { wi_client_free(self.0) }
    }
}

fn c_client(settings: &[(&str, &str)]) -> CClient {
    unsafe {
        let options = wi_options_new();
        for (key, value) in settings {
            let (key, value) = (CString::new(*key).unwrap(), CString::new(*value).unwrap());
            assert_eq!(
                wi_options_set(options, key.as_ptr(), value.as_ptr(), null_mut()),
                wi_status::WI_STATUS_OK
            );
        }
        let mut client = null_mut();
        assert_eq!(
            wi_client_new(options, &mut client, null_mut()),
            wi_status::WI_STATUS_OK
        );
        wi_options_free(options);
        CClient(client)
    }
}

/// `wi_token_is_active(client, token, scope)` and the status of its error (OK when none).
unsafe fn is_active(
    client: *const wi_client,
    token: *const std::ffi::c_char,
    scope: *const std::ffi::c_char,
) -> (bool, wi_status) {
    let mut error: *mut wi_error = null_mut();
    let active = wi_token_is_active(client, token, scope, &mut error);
    let status = if error.is_null() {
        wi_status::WI_STATUS_OK
    } else {
        wi_error_status(error)
    };
    wi_error_free(error);
    (active, status)
}

#[test]
fn through_the_c_abi_every_failure_is_false_with_its_reason() {
    let server = server();
    let token = CString::new(server.issue_access_token("dev-client", Some("read"))).unwrap();
    let endpoint = server.introspection_endpoint();
    let client = c_client(&[
        ("flow", "none"),
        ("client_id", "dev-client"),
        ("client_secret", "dev-secret"),
        ("introspection_endpoint", &endpoint),
        ("max_retries", "0"),
        ("timeout_ms", "300"),
    ]);
    let read = CString::new("read").unwrap();
    let admin = CString::new("admin").unwrap();
    let empty = CString::new("").unwrap();
    let invalid_utf8 = CString::new(vec![b'a', 0xff]).unwrap();
    use wi_status::*;
    unsafe {
        let c = client.0;
        assert_eq!(
            is_active(c, token.as_ptr(), read.as_ptr()),
            (true, WI_STATUS_OK)
        );
        assert_eq!(
            is_active(c, token.as_ptr(), admin.as_ptr()),
            (false, WI_STATUS_OK)
        );
        let unknown = CString::new("unknown").unwrap();
        assert_eq!(
            is_active(c, unknown.as_ptr(), std::ptr::null()),
            (false, WI_STATUS_OK)
        );
        assert_eq!(
            is_active(std::ptr::null(), token.as_ptr(), read.as_ptr()),
            (false, WI_STATUS_INVALID_ARGUMENT)
        );
        assert_eq!(
            is_active(c, std::ptr::null(), read.as_ptr()),
            (false, WI_STATUS_INVALID_ARGUMENT)
        );
        assert_eq!(
            is_active(c, empty.as_ptr(), read.as_ptr()),
            (false, WI_STATUS_INVALID_ARGUMENT)
        );
        assert_eq!(
            is_active(c, invalid_utf8.as_ptr(), read.as_ptr()),
            (false, WI_STATUS_INVALID_ARGUMENT)
        );
        assert_eq!(
            is_active(c, token.as_ptr(), invalid_utf8.as_ptr()),
            (false, WI_STATUS_INVALID_ARGUMENT)
        );
        assert!(
            !wi_token_is_active(c, token.as_ptr(), empty.as_ptr(), null_mut()),
            "NULL out_error"
        );
        server.push_fault(status_fault(INTROSPECT, 500, "{}", 1));
        assert_eq!(
            is_active(c, token.as_ptr(), read.as_ptr()),
            (false, WI_STATUS_OAUTH_OPERATION)
        );
        server.push_fault(patch(json!({"active": "yes"}), &[]));
        assert_eq!(
            is_active(c, token.as_ptr(), read.as_ptr()),
            (false, WI_STATUS_OAUTH_OPERATION)
        );
        server.push_fault(Fault {
            delay_ms: 1_000,
            ..Fault::new(INTROSPECT, FaultKind::DelayOnly)
        });
        assert_eq!(
            is_active(c, token.as_ptr(), read.as_ptr()),
            (false, WI_STATUS_OAUTH_OPERATION)
        );

        let mut json = 7 as *mut std::ffi::c_char;
        let mut error: *mut wi_error = null_mut();
        assert_eq!(
            wi_introspect_token(c, token.as_ptr(), std::ptr::null(), &mut json, &mut error),
            WI_STATUS_OK
        );
        assert!(error.is_null());
        let text = std::ffi::CStr::from_ptr(json).to_str().unwrap().to_owned();
        assert!(text.contains("\"active\":true"), "{text}");
        wi_free_string(json);
        server.push_fault(Fault::new(INTROSPECT, FaultKind::MalformedJson));
        assert_eq!(
            wi_introspect_token(c, token.as_ptr(), std::ptr::null(), &mut json, &mut error),
            WI_STATUS_OAUTH_OPERATION
        );
        assert!(json.is_null(), "out_json is NULL on failure");
        wi_error_free(error);
        assert_eq!(
            wi_introspect_token(c, token.as_ptr(), std::ptr::null(), null_mut(), null_mut()),
            WI_STATUS_INVALID_ARGUMENT
        );
    }
    // Down: nothing listens.
    let down = c_client(&[
        ("flow", "none"),
        ("introspection_endpoint", "http://127.0.0.1:1/i"),
        ("max_retries", "0"),
    ]);
    unsafe {
        assert_eq!(
            is_active(down.0, token.as_ptr(), std::ptr::null()),
            (false, wi_status::WI_STATUS_OAUTH_OPERATION)
        );
    }
}

#[test]
fn positive_answers_are_reused_when_asked_never_past_exp() {
    let server = server();
    let token = server.issue_access_token("dev-client", Some("read"));
    // Off by default: every check asks the server.
    let client = client(&server, &[]);
    client.token_is_active(&token, None).unwrap();
    client.token_is_active(&token, None).unwrap();
    assert_eq!(server.request_count(INTROSPECT), 2);

    server.reset();
    let clock = Arc::new(ManualClock::new());
    let endpoint = server.introspection_endpoint();
    let cached = oauth_client(
        &server,
        &[
            ("introspection_endpoint", &endpoint),
            ("introspection_cache_s", "30"),
        ],
        Some(clock.clone()),
    );
    for _ in 0..5 {
        assert!(cached.token_is_active(&token, Some("read")).unwrap());
        assert!(!cached.token_is_active(&token, Some("admin")).unwrap());
    }
    cached.introspect_token(&token, None).unwrap();
    assert_eq!(
        server.request_count(INTROSPECT),
        1,
        "one request, then the cache"
    );
    // Negative answers are never kept.
    cached.token_is_active("unknown", None).unwrap();
    cached.token_is_active("unknown", None).unwrap();
    assert_eq!(server.request_count(INTROSPECT), 3);
    // The reuse period ends...
    clock.advance(Duration::from_secs(31));
    cached.token_is_active(&token, None).unwrap();
    assert_eq!(server.request_count(INTROSPECT), 4);
    // ...and so does the token (`exp` is an hour away): no reuse past it.
    let clock = Arc::new(ManualClock::new());
    let long = oauth_client(
        &server,
        &[
            ("introspection_endpoint", &endpoint),
            ("introspection_cache_s", "86400"),
        ],
        Some(clock.clone()),
    );
    long.token_is_active(&token, None).unwrap();
    clock.advance(Duration::from_secs(3_590));
    long.token_is_active(&token, None).unwrap();
    assert_eq!(server.request_count(INTROSPECT), 5);
    clock.advance(Duration::from_secs(11));
    long.token_is_active(&token, None).unwrap();
    assert_eq!(server.request_count(INTROSPECT), 6);
    // Revocation through the library drops the kept answer, for every client
    // of the identity.
    let revoking = oauth_client(
        &server,
        &[
            ("introspection_endpoint", &endpoint),
            ("revocation_endpoint", &server.revocation_endpoint()),
            ("introspection_cache_s", "86400"),
        ],
        Some(clock),
    );
    let fresh = server.issue_access_token("dev-client", None);
    assert!(long.token_is_active(&fresh, None).unwrap());
    assert!(revoking.token_is_active(&fresh, None).unwrap());
    let before = server.request_count(INTROSPECT);
    revoking.revoke_token(&fresh, None).unwrap();
    assert!(!long.token_is_active(&fresh, None).unwrap());
    assert_eq!(server.request_count(INTROSPECT), before + 1);
}
