//! Each exit code, with its one-line `wi: error:` message.

use std::ffi::OsStr;
use std::net::TcpListener;
use std::os::unix::ffi::OsStrExt;

use wi_devserver::{Fault, FaultKind};

use crate::support::{bare, run, server, wi, TempFile};

#[test]
fn usage_errors_exit_2() {
    for (args, says) in [
        (&[][..], "no command given"),
        (&["tokn"], "unknown command \"tokn\""),
        (&["--bogus", "token"], "unknown option --bogus"),
        (
            &["token", "--bogus"],
            "unknown option --bogus (see `wi token --help`)",
        ),
        (&["token", "extra"], "unexpected argument \"extra\""),
        (&["token", "--json=yes"], "--json takes no value"),
        (
            &["token", "--subject-token", "x"],
            "unknown option --subject-token",
        ),
        (&["token", "--client-id"], "--client-id needs a value"),
        (
            &["token", "--max-retries", "11"],
            "--max-retries: option max_retries",
        ),
        (
            &["token", "--token-endpoint", "ftp://x/y"],
            "--token-endpoint: option token_endpoint",
        ),
        (
            &["token", "--option", "clientid=x"],
            "unknown option key \"clientid\"",
        ),
        (
            &["token", "--option", "novalue"],
            "--option needs KEY=VALUE",
        ),
        (&["integration"], "missing NAME"),
        (&["integration", "a", "b"], "unexpected argument \"b\""),
        (&["help", "nope"], "unknown command \"nope\""),
        (&["version", "--json"], "unknown option --json"),
        (&["-v"], "no command given"),
        (
            &["token", "--jsno"],
            "unknown option --jsno (did you mean --json?)",
        ),
        (
            &["token", "--format", "xml"],
            "--format: invalid value \"xml\"; expected one of raw, json, env",
        ),
        (
            &["token", "--format", "json", "--json"],
            "--format cannot be used with --json",
        ),
        (
            &["token", "--client-id", "a", "--client-id", "b"],
            "--client-id is given more than once",
        ),
        (&["completion"], "missing SHELL"),
        (
            &["completion", "tcsh"],
            "expected one of bash, elvish, fish",
        ),
        (&["devserver", "--port", "x"], "--port: invalid value \"x\""),
    ] {
        let outcome = run(bare(), args, None).fails(2);
        assert!(outcome.stderr.contains(says), "{args:?}: {outcome:?}");
    }
    let invalid_utf8 = bare()
        .args([OsStr::new("token"), OsStr::from_bytes(b"--client-id=\xff")])
        .output()
        .expect("wi runs");
    assert_eq!(invalid_utf8.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&invalid_utf8.stderr);
    assert_eq!(stderr, "wi: error: argument 2 is not valid UTF-8\n");
    // An empty integration name is refused by the library as an invalid argument.
    let server = server();
    run(wi(&server), &["integration", ""], None).fails(2);
    assert!(server.requests().is_empty());
}

#[test]
fn missing_configuration_exits_3_naming_every_variable() {
    let outcome = run(bare(), &["token"], None).fails(3);
    for name in [
        "COZE_WORKLOAD_IDENTITY_CLIENT_ID",
        "COZE_WORKLOAD_IDENTITY_CLIENT_SECRET",
        "COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT",
        "COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT",
    ] {
        assert!(outcome.stderr.contains(name), "{name}: {outcome:?}");
    }
    let partial = run(bare(), &["token", "--client-id", "dev-client"], None).fails(3);
    assert!(
        !partial.stderr.contains("COZE_WORKLOAD_IDENTITY_CLIENT_ID"),
        "{partial:?}"
    );
}

#[test]
fn other_configuration_errors_exit_3() {
    let server = server();
    let mut no_outbound = wi(&server);
    no_outbound.env_remove("COZE_OUTBOUND_AUTH_ENDPOINT");
    let outcome = run(no_outbound, &["env"], None).fails(3);
    assert!(
        outcome.stderr.contains("COZE_OUTBOUND_AUTH_ENDPOINT"),
        "{outcome:?}"
    );

    let mut bad_env = wi(&server);
    bad_env.env("COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT", "not a url");
    let outcome = run(bad_env, &["token"], None).fails(3);
    assert!(outcome.stderr.contains("token_endpoint"), "{outcome:?}");

    let outcome = run(
        wi(&server),
        &["token", "--client-secret-file", "/nonexistent/wi-secret"],
        None,
    )
    .fails(3);
    assert!(
        outcome
            .stderr
            .contains("cannot read client secret file /nonexistent/wi-secret"),
        "{outcome:?}"
    );
    run(wi(&server), &["token", "--client-secret-stdin"], Some("\n")).fails(3);
    let not_utf8 = TempFile::new("secret-not-utf8", "");
    std::fs::write(&not_utf8.0, b"dev-\xff").expect("written");
    let outcome = run(
        wi(&server),
        &["token", "--client-secret-file", not_utf8.path()],
        None,
    )
    .fails(3);
    assert!(outcome.stderr.contains("is not valid UTF-8"), "{outcome:?}");
    run(
        wi(&server),
        &["token", "--ca-bundle", "/nonexistent/ca.pem"],
        None,
    )
    .fails(3);
    assert!(server.requests().is_empty());
}

#[test]
fn a_wrong_secret_exits_4_with_the_oauth_error_and_status() {
    let server = server();
    let mut command = wi(&server);
    command.env("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET", "wrong-secret");
    let outcome = run(command, &["token"], None).fails(4);
    assert!(
        outcome.stderr.contains("invalid_client") && outcome.stderr.contains("401"),
        "{outcome:?}"
    );
    assert!(!outcome.stderr.contains("wrong-secret"), "{outcome:?}");
    // A token failure during an outbound call is still a token failure.
    let mut command = wi(&server);
    command.env("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET", "wrong-secret");
    run(command, &["integration", "github"], None).fails(4);
}

#[test]
fn an_unreachable_or_failing_server_exits_4() {
    let closed_port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port is free");
        listener.local_addr().expect("bound").port()
    };
    let endpoint = format!("http://127.0.0.1:{closed_port}/oauth/token");
    let server = server();
    let outcome = run(
        wi(&server),
        &["token", "--token-endpoint", &endpoint, "--max-retries", "0"],
        None,
    )
    .fails(4);
    assert!(
        outcome.stderr.contains("ID token request failed"),
        "{outcome:?}"
    );

    server.push_fault(Fault::new("/oauth/exchange", FaultKind::status(503)));
    let outcome = run(wi(&server), &["token", "--max-retries", "0"], None).fails(4);
    assert!(outcome.stderr.contains("HTTP 503"), "{outcome:?}");
}

#[test]
fn integration_failures_exit_5() {
    let server = server();
    let outcome = run(wi(&server), &["integration", "nope"], None).fails(5);
    assert!(
        outcome.stderr.contains("integration not found: nope"),
        "{outcome:?}"
    );
    server.push_fault(Fault::new("/outbound/env", FaultKind::status(500)));
    let outcome = run(wi(&server), &["env", "--max-retries", "0"], None).fails(5);
    assert!(outcome.stderr.contains("HTTP 500"), "{outcome:?}");
}

#[test]
fn unreadable_token_input_exits_1() {
    let server = server();
    let outcome = run(
        wi(&server),
        &["exchange", "--subject-token-file", "/nonexistent/wi-token"],
        None,
    )
    .fails(1);
    assert!(
        outcome.stderr.contains("/nonexistent/wi-token"),
        "{outcome:?}"
    );
    run(
        wi(&server),
        &["exchange", "--subject-token-stdin"],
        Some(""),
    )
    .fails(1);
}
