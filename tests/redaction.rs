//! Secrets stay secret: every flow at debug log level, then no secret, token,
//! credential or Authorization value in any log line, error message or Debug output.

mod common;

use std::sync::{Arc, Mutex};

use common::{client, server, status_fault};
use workload_identity::{set_log_sink, ExchangeParams, Level};

/// The log sink is process-wide: the tests that install one run one at a time.
static ONE_SINK_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn no_secret_reaches_logs_errors_or_debug_output() {
    let _sink = ONE_SINK_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink_lines = lines.clone();
    set_log_sink(
        Some(Arc::new(move |level: Level, line: &str| {
            sink_lines.lock().unwrap().push(format!("{level:?} {line}"))
        })),
        Level::Debug,
    );
    let server = server();
    let mut shown = Vec::<String>::new();
    let client = client(&server, &[]);
    shown.push(format!("{client:?} {:?}", client.config()));
    let token = client.access_token().unwrap();
    shown.push(format!("{token:?}"));
    let exchanged = client
        .exchange_token(&ExchangeParams {
            subject_token: token.expose(),
            actor_token: Some(token.expose()),
            actor_token_type: Some("urn:ietf:params:oauth:token-type:access_token"),
            ..ExchangeParams::default()
        })
        .unwrap();
    shown.push(format!("{exchanged:?}"));
    shown.push(format!(
        "{:?}",
        client.integration_credential("github").unwrap()
    ));
    shown.push(format!("{:?}", client.project_env_vars().unwrap()));
    server.revoke_tokens();
    client.integration_credential("slack").unwrap();
    client.force_refresh().unwrap();

    let failures = [
        common::client(&server, &[("client_secret", "wrong-secret-value")])
            .access_token()
            .unwrap_err(),
        {
            server.push_fault(status_fault(
                "/oauth/exchange",
                400,
                r#"{"error":"invalid_grant","error_description":"bad"}"#,
                1,
            ));
            common::client(&server, &[("server_env", "boe_redaction")])
                .access_token()
                .unwrap_err()
        },
        {
            server.push_fault(status_fault(
                "/outbound/env",
                503,
                r#"{"code":503,"msg":"down"}"#,
                3,
            ));
            client.project_env_vars().unwrap_err()
        },
        client
            .exchange_token(&ExchangeParams {
                subject_token: "not-issued-here",
                ..ExchangeParams::default()
            })
            .unwrap_err(),
    ];
    for error in &failures {
        shown.push(format!("{error} {error:?}"));
    }
    set_log_sink(None, Level::Error);

    // Every secret value that crossed the wire, as the server recorded it.
    let mut secrets = vec![
        "dev-secret".to_owned(),
        "wrong-secret-value".to_owned(),
        "ghp_dev_github_credential".to_owned(),
        "xoxb-dev-slack-credential".to_owned(),
        "postgres://dev:dev@127.0.0.1/dev".to_owned(),
    ];
    for request in server.requests() {
        for name in ["subject_token", "actor_token", "client_secret"] {
            secrets.extend(request.form_value(name).map(str::to_owned));
        }
        secrets.extend(request.header("authorization").map(str::to_owned));
    }
    secrets.push(token.expose().to_owned());
    secrets.push(exchanged.access_token.expose().to_owned());

    let lines = lines.lock().unwrap();
    assert!(
        lines.len() >= 10,
        "debug logging produced {} lines",
        lines.len()
    );
    for text in lines.iter().chain(shown.iter()) {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a secret leaked into: {text}"
            );
        }
        assert!(
            !text.contains("Bearer "),
            "an Authorization value leaked into: {text}"
        );
        assert!(
            !text.contains("Basic "),
            "an Authorization value leaked into: {text}"
        );
    }
    println!(
        "checked {} log lines and {} messages against {} secrets",
        lines.len(),
        shown.len(),
        secrets.len()
    );
}

/// URLs are shown without their userinfo and query values, and known secret
/// values are masked in server-supplied text: option errors, debug log lines,
/// `Debug` of the configuration, error messages and OAuth descriptions.
#[test]
fn urls_and_echoed_secrets_are_masked() {
    let _sink = ONE_SINK_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink_lines = lines.clone();
    set_log_sink(
        Some(Arc::new(move |_: Level, line: &str| {
            sink_lines.lock().unwrap().push(line.to_owned())
        })),
        Level::Debug,
    );
    let server = server();
    let mut shown = Vec::<String>::new();

    // The proxy password in an option error.
    let error = workload_identity::ConfigBuilder::new()
        .set("proxy", "socks5://user:PROXYPASS@127.0.0.1:1080")
        .unwrap_err();
    shown.push(error.to_string());
    assert!(error.message().contains("proxy"), "{error}");

    // Userinfo and query values of endpoints in Debug output and debug lines.
    let with_secrets = format!(
        "http://user:URLPASS@127.0.0.1:{}/oauth/token?api_key=APIKEY&x",
        server.port()
    );
    let config = common::settings(
        &server,
        &[
            ("token_endpoint", &with_secrets),
            ("proxy", "http://user:PROXYPASS@127.0.0.1:1"),
            ("max_retries", "0"),
        ],
    )
    .build_with_env(|_| None)
    .unwrap();
    shown.push(format!("{config:?}"));
    let client = workload_identity::Client::new(config).unwrap();
    if let Err(error) = client.access_token() {
        shown.push(format!("{error} {error:?}"));
    }

    // A server that echoes what it was sent, raw or form-encoded.
    server.add_client("echo-client", "echo secret/+");
    server.push_fault(status_fault(
        "/oauth/token",
        400,
        r#"{"error":"invalid_request","error_description":"got client_secret=echo+secret%2F%2B (echo secret/+)"}"#,
        1,
    ));
    let error = common::client(
        &server,
        &[
            ("client_id", "echo-client"),
            ("client_secret", "echo secret/+"),
        ],
    )
    .access_token()
    .unwrap_err();
    shown.push(format!("{error} {error:?}"));
    assert!(error.message().contains("got client_secret="), "{error}");
    let client = common::client(&server, &[]);
    let token = client.access_token().unwrap();
    let echo = format!(
        r#"{{"code":403,"msg":"token {} is not allowed"}}"#,
        token.expose()
    );
    server.push_fault(status_fault("/outbound/integration", 403, &echo, 1));
    let error = client.integration_credential("github").unwrap_err();
    shown.push(format!("{error} {error:?}"));
    set_log_sink(None, Level::Error);

    let lines = lines.lock().unwrap();
    assert!(
        lines.iter().any(|line| line.contains("request to")),
        "{lines:?}"
    );
    for text in lines.iter().chain(shown.iter()) {
        for secret in [
            "PROXYPASS",
            "URLPASS",
            "APIKEY",
            "echo secret/+",
            "echo+secret%2F%2B",
            token.expose(),
        ] {
            assert!(!text.contains(secret), "{secret:?} leaked into: {text}");
        }
    }
}
