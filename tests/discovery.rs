//! RFC 8414 discovery against the dev server: endpoints from the issuer's
//! metadata, fetched at first need and once per identity, the OpenID
//! fallback, bad documents refused whole, and the backoff after a failure.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{oauth_client, oauth_settings, paths, server, status_fault};
use serde_json::json;
use wi_devserver::{Fault, FaultKind};
use workload_identity::{Client, ErrorKind, ManualClock};

const RFC_8414: &str = "/.well-known/oauth-authorization-server";
const OPENID: &str = "/.well-known/openid-configuration";

fn patch(set: serde_json::Value, remove: &[&str]) -> FaultKind {
    FaultKind::Patch {
        set: set.as_object().cloned().unwrap_or_default(),
        remove: remove.iter().map(|name| name.to_string()).collect(),
    }
}

#[test]
fn every_endpoint_comes_from_the_metadata_fetched_once_at_first_need() {
    let server = server();
    let client = oauth_client(&server, &[], Some(Arc::new(ManualClock::new())));
    assert!(
        server.requests().is_empty(),
        "nothing is fetched at creation"
    );
    let token = client.access_token().unwrap();
    assert_eq!(paths(&server), [RFC_8414, "/oauth2/token"]);
    assert!(client.token_is_active(token.expose(), None).unwrap());
    client.revoke_token(token.expose(), None).unwrap();
    client.register_client(r#"{"client_name":"x"}"#).unwrap();
    let metadata: serde_json::Value =
        serde_json::from_str(&client.server_metadata().unwrap()).unwrap();
    assert_eq!(metadata["issuer"], server.issuer());
    assert_eq!(
        paths(&server),
        [
            RFC_8414,
            "/oauth2/token",
            "/oauth2/introspect",
            "/oauth2/revoke",
            "/oauth2/register"
        ]
    );
}

#[test]
fn clients_of_one_identity_share_the_metadata_and_concurrent_callers_one_fetch() {
    let server = server();
    let clock = Arc::new(ManualClock::new());
    server.push_fault(Fault {
        delay_ms: 300,
        ..Fault::new(RFC_8414, FaultKind::DelayOnly)
    });
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let client = oauth_client(&server, &[], Some(clock.clone()));
            std::thread::spawn(move || client.server_metadata().unwrap())
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    oauth_client(&server, &[], Some(clock))
        .server_metadata()
        .unwrap();
    assert_eq!(server.request_count(RFC_8414), 1);
}

#[test]
fn an_issuer_with_a_path_inserts_the_well_known_part_after_the_host() {
    let server = server();
    let issuer = format!("{}/tenants/a", server.issuer());
    let client = oauth_client(&server, &[("issuer", &issuer)], None);
    let metadata: serde_json::Value =
        serde_json::from_str(&client.server_metadata().unwrap()).unwrap();
    assert_eq!(metadata["issuer"], issuer);
    assert_eq!(paths(&server), [format!("{RFC_8414}/tenants/a")]);
}

#[test]
fn a_missing_rfc_8414_document_falls_back_to_the_openid_one() {
    let server = server();
    server.push_fault(status_fault(RFC_8414, 404, r#"{"error":"not_found"}"#, 1));
    let client = oauth_client(&server, &[], None);
    client.access_token().unwrap();
    assert_eq!(paths(&server), [RFC_8414, OPENID, "/oauth2/token"]);
}

#[test]
fn a_bad_document_is_an_error_and_nothing_of_it_is_used() {
    let server = server();
    let cases = [
        (FaultKind::MalformedJson, "JSON object"),
        (patch(json!({}), &["token_endpoint"]), "no token_endpoint"),
        (
            patch(json!({"issuer": "http://127.0.0.1:1"}), &[]),
            "RFC 8414 section 3.3",
        ),
        (FaultKind::HugeBody { bytes: 2_000_000 }, "larger than"),
        (
            patch(
                json!({"introspection_endpoint": "http://auth.example.com/i"}),
                &[],
            ),
            "plain http",
        ),
        (patch(json!({"token_endpoint": 7}), &[]), "not a string"),
    ];
    for (kind, why) in cases {
        let clock = Arc::new(ManualClock::new());
        let client = oauth_client(&server, &[], Some(clock.clone()));
        server.push_fault(Fault::new(RFC_8414, kind));
        let error = client.access_token().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::OAuthOperation, "{why}: {error}");
        assert!(error.message().contains(why), "{why}: {error}");
        let error = client.introspect_token("some-token", None).unwrap_err();
        assert!(error.message().contains(why), "remembered: {error}");
        assert_eq!(server.request_count("/oauth2/token"), 0, "{why}");
        assert_eq!(server.request_count("/oauth2/introspect"), 0, "{why}");
        // After the backoff the next need fetches again, and gets a good document.
        clock.advance(Duration::from_millis(1_001));
        client.access_token().unwrap();
        server.reset();
    }
}

#[test]
fn a_failed_fetch_is_tried_again_at_the_next_need_after_a_backoff() {
    let server = server();
    let clock = Arc::new(ManualClock::new());
    let client = oauth_client(&server, &[("max_retries", "0")], Some(clock.clone()));
    server.push_fault(status_fault(RFC_8414, 503, "{}", 2));
    let first = client.server_metadata().unwrap_err();
    assert_eq!(first.kind(), ErrorKind::OAuthOperation);
    assert!(first.is_retryable(), "{first}");
    assert_eq!(first.http_status(), Some(503));
    let remembered = client.server_metadata().unwrap_err();
    assert!(
        remembered.message().contains("next attempt in"),
        "{remembered}"
    );
    assert_eq!(
        server.request_count(RFC_8414),
        1,
        "no request within the backoff"
    );
    clock.advance(Duration::from_millis(1_001));
    client.server_metadata().unwrap_err();
    assert_eq!(server.request_count(RFC_8414), 2);
    // The second failure doubles the backoff.
    clock.advance(Duration::from_millis(1_500));
    client.server_metadata().unwrap_err();
    assert_eq!(server.request_count(RFC_8414), 2);
    clock.advance(Duration::from_millis(600));
    client.server_metadata().unwrap();
    client.server_metadata().unwrap();
    assert_eq!(server.request_count(RFC_8414), 3);
}

#[test]
fn configured_endpoints_win_and_missing_ones_are_named() {
    let server = server();
    let client = oauth_client(
        &server,
        &[
            ("token_endpoint", &server.oauth_token_endpoint()),
            ("introspection_endpoint", &server.introspection_endpoint()),
        ],
        None,
    );
    let token = client.access_token().unwrap();
    client.introspect_token(token.expose(), None).unwrap();
    assert_eq!(paths(&server), ["/oauth2/token", "/oauth2/introspect"]);

    let mut builder = oauth_settings(&server, &[]);
    builder.unset("issuer").unwrap();
    builder
        .set("token_endpoint", &server.oauth_token_endpoint())
        .unwrap();
    let client = Client::new(builder.build_with_env(|_| None).unwrap()).unwrap();
    for error in [
        client.introspect_token("t", None).unwrap_err(),
        client
            .revoke_token("t", None)
            .map(|_| String::new())
            .unwrap_err(),
        client
            .register_client("{}")
            .map(|_| String::new())
            .unwrap_err(),
        client.server_metadata().unwrap_err(),
    ] {
        assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
        assert!(error.message().contains("issuer"), "{error}");
    }

    // A document without an optional endpoint: an error naming the option.
    server.push_fault(Fault::new(
        RFC_8414,
        patch(json!({}), &["revocation_endpoint"]),
    ));
    let client = oauth_client(&server, &[("max_retries", "0")], None);
    let error = client.revoke_token("t", None).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::OAuthOperation);
    assert!(error.message().contains("revocation_endpoint"), "{error}");
}

#[test]
fn plain_http_issuers_are_for_loopback_only() {
    let mut builder = workload_identity::ConfigBuilder::new();
    builder
        .set("flow", "none")
        .unwrap()
        .set("issuer", "http://auth.example.com")
        .unwrap();
    let error = builder.build_with_env(|_| None).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
    assert!(error.message().contains("issuer"), "{error}");
    builder.set("issuer", "https://auth.example.com").unwrap();
    assert!(builder.build_with_env(|_| None).is_ok());
}
