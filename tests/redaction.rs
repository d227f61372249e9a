//! Secrets stay secret: every flow at debug log level, then no secret, token,
//! credential or Authorization value in any log line, error message or Debug output.

mod common;

use std::sync::{Arc, Mutex};

use common::{client, server, status_fault};
use workload_identity::{set_log_sink, ExchangeParams, Level};

#[test]
fn no_secret_reaches_logs_errors_or_debug_output() {
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
