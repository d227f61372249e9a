//! Every flow and every client authentication, through the Rust API, at the
//! dev server's OAuth token endpoint (`/oauth2/token`); the Coze flow with an
//! explicit `client_auth`; the bad input of each.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::server;
use wi_devserver::DevServer;
use workload_identity::{Client, ConfigBuilder, ErrorKind, ManualClock};

const TOKEN_PATH: &str = "/oauth2/token";

fn key_path(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tools/devserver/tests/keys")
        .join(name)
        .display()
        .to_string()
}

fn builder(server: &DevServer, pairs: &[(&str, &str)]) -> ConfigBuilder {
    let mut builder = ConfigBuilder::new();
    builder
        .set("token_endpoint", &server.oauth_token_endpoint())
        .unwrap();
    for (key, value) in pairs {
        builder.set(key, value).unwrap();
    }
    builder
}

fn client(server: &DevServer, pairs: &[(&str, &str)]) -> Client {
    Client::new(builder(server, pairs).build_with_env(|_| None).unwrap()).unwrap()
}

/// The `n`-th request to the OAuth token endpoint.
fn token_request(server: &DevServer, n: usize) -> wi_devserver::RecordedRequest {
    server
        .requests()
        .into_iter()
        .filter(|request| request.path == TOKEN_PATH)
        .nth(n)
        .expect("the request was sent")
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn client_credentials_under_every_client_authentication() {
    let server = server();
    server
        .add_client_key(
            "dev-client",
            &std::fs::read_to_string(key_path("rsa.pub.pem")).unwrap(),
        )
        .unwrap();
    server
        .add_client_key(
            "dev-client",
            &std::fs::read_to_string(key_path("ec.pub.pem")).unwrap(),
        )
        .unwrap();
    let base = [
        ("flow", "client_credentials"),
        ("client_id", "dev-client"),
        ("scope", "api:read"),
        ("audience", "https://api.example"),
        ("resource", "https://api.example/r"),
    ];
    let rsa = key_path("rsa.pem");
    let ec = key_path("ec.pem");
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("client_secret", "dev-secret")], "client_secret_post"),
        (
            &[
                ("client_secret", "dev-secret"),
                ("client_auth", "client_secret_post"),
            ],
            "client_secret_post",
        ),
        (
            &[
                ("client_secret", "dev-secret"),
                ("client_auth", "client_secret_basic"),
            ],
            "client_secret_basic",
        ),
        (
            &[
                ("client_auth", "private_key_jwt"),
                ("private_key_path", &rsa),
                ("private_key_id", "k1"),
            ],
            "private_key_jwt",
        ),
        (
            &[
                ("client_auth", "private_key_jwt"),
                ("private_key_path", &ec),
            ],
            "private_key_jwt",
        ),
    ];
    for (index, (extra, method)) in cases.iter().enumerate() {
        let mut pairs = base.to_vec();
        pairs.extend_from_slice(extra);
        let client = client(&server, &pairs);
        let (token, expires_at) = client.access_token_with_expiry().unwrap();
        assert!(!token.is_empty());
        assert!(
            (expires_at - now_ms() - 3_600_000).abs() < 10_000,
            "{expires_at}"
        );
        let request = token_request(&server, index);
        assert_eq!(
            request.client_auth.as_deref(),
            Some(*method),
            "case {index}"
        );
        assert_eq!(request.form_value("grant_type"), Some("client_credentials"));
        assert_eq!(request.form_value("scope"), Some("api:read"));
        assert_eq!(request.form_value("audience"), Some("https://api.example"));
        assert_eq!(
            request.form_value("resource"),
            Some("https://api.example/r")
        );
        if *method == "client_secret_basic" || *method == "private_key_jwt" {
            assert_eq!(
                request.form_value("client_secret"),
                None,
                "no secret in the form"
            );
        }
        // Cached: a second call sends nothing.
        assert_eq!(client.access_token().unwrap(), token);
        assert_eq!(server.request_count(TOKEN_PATH), index + 1);
    }
}

#[test]
fn password_flow_then_refresh_token_rotation() {
    let server = server();
    let clock = Arc::new(ManualClock::new());
    let mut settings = builder(
        &server,
        &[
            ("flow", "password"),
            ("client_id", "dev-client"),
            ("client_secret", "dev-secret"),
            ("username", "dev-user"),
            ("password", "dev-password"),
        ],
    );
    settings.clock(clock.clone());
    let client = Client::new(settings.build_with_env(|_| None).unwrap()).unwrap();
    let first = client.access_token().unwrap();
    let request = token_request(&server, 0);
    assert_eq!(request.form_value("grant_type"), Some("password"));
    assert_eq!(request.form_value("username"), Some("dev-user"));
    // The answer carried a refresh token: the next fetch uses it, and each
    // answer's new one replaces it (a refresh token is never sent twice).
    let second = client.force_refresh().unwrap();
    let third = client.force_refresh().unwrap();
    assert!(first != second && second != third);
    let sent: Vec<String> = (1..3)
        .map(|n| {
            let request = token_request(&server, n);
            assert_eq!(request.form_value("grant_type"), Some("refresh_token"));
            request.form_value("refresh_token").unwrap().to_owned()
        })
        .collect();
    assert_ne!(sent[0], sent[1], "rotated");
    // The server forgets the refresh token: the password flow starts again.
    server.revoke_tokens();
    clock.advance(Duration::from_secs(3_600));
    let fourth = client.access_token().unwrap();
    assert_ne!(fourth, third);
    let grants: Vec<String> = server
        .requests()
        .iter()
        .filter(|request| request.path == TOKEN_PATH)
        .skip(3)
        .map(|request| request.form_value("grant_type").unwrap().to_owned())
        .collect();
    assert_eq!(
        grants,
        ["refresh_token", "password"],
        "invalid_grant, then the own grant"
    );
}

#[test]
fn refresh_token_flow_rotates_and_a_refused_token_needs_reauthentication() {
    let server = server();
    let initial = server.issue_refresh_token("dev-client", None);
    let client = client(
        &server,
        &[
            ("flow", "refresh_token"),
            ("client_id", "dev-client"),
            ("client_secret", "dev-secret"),
            ("refresh_token", &initial),
        ],
    );
    client.access_token().unwrap();
    client.force_refresh().unwrap();
    let first = token_request(&server, 0);
    let second = token_request(&server, 1);
    assert_eq!(first.form_value("refresh_token"), Some(initial.as_str()));
    assert_ne!(second.form_value("refresh_token"), Some(initial.as_str()));
    // A client with the same initial (already used) refresh token is another
    // process's view: the server refuses it.
    let stale = Client::new(
        builder(
            &server,
            &[
                ("flow", "refresh_token"),
                ("client_id", "dev-client"),
                ("client_secret", "dev-secret"),
                ("refresh_token", &initial),
                ("scope", "other-identity"),
            ],
        )
        .build_with_env(|_| None)
        .unwrap(),
    )
    .unwrap();
    let error = stale.access_token().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenRetrieval);
    assert_eq!(error.oauth_error(), Some("invalid_grant"));
    assert!(!error.is_retryable());
    assert!(error.message().contains("re-authentication"), "{error}");
    assert!(
        !error.to_string().contains(&initial),
        "no token in the message"
    );
}

#[test]
fn token_exchange_reads_the_subject_token_file_at_every_fetch() {
    let server = server();
    let dir = std::env::temp_dir().join(format!("wi-flows-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("token");
    let subject = server.issue_access_token("dev-client", None);
    std::fs::write(&file, format!("{subject}\n")).unwrap();
    let path = file.display().to_string();
    let client = client(
        &server,
        &[
            ("flow", "token_exchange"),
            ("client_id", "dev-client"),
            ("subject_token_file", &path),
            ("audience", "https://api.example"),
        ],
    );
    client.access_token().unwrap();
    let request = token_request(&server, 0);
    assert_eq!(
        request.form_value("grant_type"),
        Some("urn:ietf:params:oauth:grant-type:token-exchange")
    );
    assert_eq!(
        request.form_value("subject_token"),
        Some(subject.as_str()),
        "trimmed"
    );
    assert_eq!(
        request.form_value("subject_token_type"),
        Some("urn:ietf:params:oauth:token-type:jwt")
    );
    assert_eq!(request.form_value("audience"), Some("https://api.example"));
    // The projected token rotates underneath: the next fetch reads the new one.
    let rotated = server.issue_access_token("dev-client", None);
    std::fs::write(&file, &rotated).unwrap();
    client.force_refresh().unwrap();
    assert_eq!(
        token_request(&server, 1).form_value("subject_token"),
        Some(rotated.as_str())
    );
    // Empty, oversized and missing files: an error naming the path, no request.
    for (content, why) in [
        (Some("  \n"), "empty"),
        (Some(&"x".repeat(70_000)[..]), "larger"),
        (None, "cannot open"),
    ] {
        match content {
            Some(content) => std::fs::write(&file, content).unwrap(),
            None => std::fs::remove_file(&file).unwrap(),
        }
        let error = client.force_refresh().unwrap_err();
        assert!(
            error.message().contains(&path) && error.message().contains(why),
            "{error}"
        );
    }
    assert_eq!(server.request_count(TOKEN_PATH), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn coze_flow_with_basic_and_jwt_client_authentication_on_both_steps() {
    let server = server();
    server
        .add_client_key(
            "dev-client",
            &std::fs::read_to_string(key_path("ec.pub.pem")).unwrap(),
        )
        .unwrap();
    let mut settings = common::settings(&server, &[("client_auth", "client_secret_basic")]);
    let basic = Client::new(settings.build_with_env(|_| None).unwrap()).unwrap();
    basic.access_token().unwrap();
    let step1 = &server.requests()[0];
    let step2 = &server.requests()[1];
    assert_eq!(step1.body, "grant_type=client_credentials");
    assert!(step1.header("authorization").unwrap().starts_with("Basic "));
    assert!(step2.header("authorization").unwrap().starts_with("Basic "));
    assert_eq!(step2.form_value("client_id"), None);
    let ec = key_path("ec.pem");
    settings
        .set("client_auth", "private_key_jwt")
        .unwrap()
        .set("private_key_path", &ec)
        .unwrap();
    let jwt = Client::new(settings.build_with_env(|_| None).unwrap()).unwrap();
    jwt.access_token().unwrap();
    let requests = server.requests();
    for request in &requests[2..4] {
        assert_eq!(request.client_auth.as_deref(), Some("private_key_jwt"));
        assert!(request.form_value("client_secret").is_none());
    }
}

#[test]
fn extra_headers_reach_every_request() {
    let server = server();
    let client = common::client(&server, &[("header.X-Tenant", "t-42")]);
    client.access_token().unwrap();
    client.integration_credential("github").unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for request in requests {
        assert_eq!(request.header("x-tenant"), Some("t-42"), "{}", request.path);
    }
}

#[test]
fn bad_private_keys_are_named_by_path_never_shown() {
    let server = server();
    let dir = std::env::temp_dir().join(format!("wi-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("missing.pem", None),
        ("garbage.pem", Some("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")),
        ("public.pem", Some(&std::fs::read_to_string(key_path("ec.pub.pem")).unwrap()[..])),
        ("encrypted.pem", Some("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")),
    ];
    for (name, content) in cases {
        let path = dir.join(name);
        if let Some(content) = content {
            std::fs::write(&path, content).unwrap();
        }
        let shown = path.display().to_string();
        let error = Client::new(
            builder(
                &server,
                &[
                    ("flow", "client_credentials"),
                    ("client_id", "dev-client"),
                    ("client_auth", "private_key_jwt"),
                    ("private_key_path", &shown),
                ],
            )
            .build_with_env(|_| None)
            .unwrap(),
        )
        .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Configuration, "{name}: {error}");
        assert!(error.message().contains(name), "{error}");
        assert!(!error.message().contains("bm90IGEga2V5") && !error.message().contains("BEGIN"));
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(server.requests().is_empty());
}

#[test]
fn flow_none_has_no_access_token() {
    let server = server();
    let client = client(&server, &[("flow", "none")]);
    let error = client.access_token().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
    assert!(client.peek_access_token().is_none());
    assert!(server.requests().is_empty());
}

#[test]
fn peek_never_waits_on_the_network() {
    let server = server();
    let client = common::client(&server, &[]);
    assert!(client.peek_access_token().is_none(), "nothing cached");
    assert!(server.requests().is_empty(), "and nothing sent");
    let token = client.access_token().unwrap();
    assert_eq!(client.peek_access_token().unwrap(), token);
}
