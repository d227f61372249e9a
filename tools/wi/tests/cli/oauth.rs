//! `wi discover`, `wi introspect`, `wi revoke` and `wi register`: results on
//! stdout, tokens only from files or stdin, and exit code 6 for failures of
//! the authorization server.

use crate::support::{bare, run, server, wi, TempFile};

/// `wi` with the dev client's credentials and the issuer from the environment.
fn oauth(server: &wi_devserver::DevServer) -> std::process::Command {
    let mut command = wi(server);
    command.env("WI_ISSUER", server.issuer());
    command
}

#[test]
fn discover_prints_the_metadata_as_sent() {
    let server = server();
    let out = run(bare(), &["discover", "--issuer", &server.issuer()], None).ok();
    let metadata: serde_json::Value = serde_json::from_str(out.line()).unwrap();
    assert_eq!(metadata["issuer"], server.issuer());
    assert_eq!(
        metadata["introspection_endpoint"],
        server.introspection_endpoint()
    );
    let down = run(
        bare(),
        &["discover", "--issuer", "http://127.0.0.1:1"],
        None,
    )
    .fails(6);
    assert!(down.stderr.contains("discovery"), "{down:?}");
    run(bare(), &["discover"], None).fails(3);
}

#[test]
fn introspect_prints_the_answer_and_checks_fail_safe() {
    let server = server();
    let token = server.issue_access_token("dev-client", Some("read write"));
    let file = TempFile::new("introspect-token", &format!("{token}\n"));
    let out = run(
        oauth(&server),
        &["introspect", "--token-file", file.path()],
        None,
    )
    .ok();
    let answer: serde_json::Value = serde_json::from_str(out.line()).unwrap();
    assert_eq!(answer["active"], true);
    assert_eq!(
        server.requests().last().unwrap().form_value("token"),
        Some(token.as_str())
    );

    let check = |args: &[&str], stdin: Option<&str>| {
        let mut all = vec!["introspect", "--check"];
        all.extend_from_slice(args);
        run(oauth(&server), &all, stdin)
    };
    assert_eq!(
        check(&["--token-stdin"], Some(&token)).ok().stdout,
        "active\n"
    );
    let scoped = check(
        &["--token-stdin", "--scope", "read", "--scope", "write"],
        Some(&token),
    );
    assert_eq!(scoped.ok().stdout, "active\n");
    let missing = check(&["--token-stdin", "--scope", "admin"], Some(&token));
    assert_eq!((missing.code, missing.stdout.as_str()), (1, "inactive\n"));
    let unknown = check(&["--token-stdin"], Some("not-a-token"));
    assert_eq!((unknown.code, unknown.stdout.as_str()), (1, "inactive\n"));

    server.push_fault(wi_devserver::Fault::new(
        "/oauth2/introspect",
        wi_devserver::FaultKind::MalformedJson,
    ));
    let failed = check(&["--token-stdin", "-o", "max_retries=0"], Some(&token)).fails(6);
    assert!(!failed.stderr.contains(&token), "{failed:?}");
}

#[test]
fn revoke_kills_the_token() {
    let server = server();
    let token = server.issue_access_token("dev-client", None);
    run(
        oauth(&server),
        &[
            "revoke",
            "--token-stdin",
            "--token-type-hint",
            "access_token",
        ],
        Some(&token),
    )
    .ok();
    assert!(
        run(oauth(&server), &["revoke", "--token-stdin"], Some(&token))
            .ok()
            .stdout
            .is_empty()
    );
    let after = run(
        oauth(&server),
        &["introspect", "--check", "--token-stdin"],
        Some(&token),
    );
    assert_eq!(after.code, 1);
    let foreign = server.issue_access_token("someone-else", None);
    let refused = run(oauth(&server), &["revoke", "--token-stdin"], Some(&foreign)).fails(6);
    assert!(refused.stderr.contains("invalid_grant") && !refused.stderr.contains(&foreign));
}

#[test]
fn register_prints_the_new_client() {
    let server = server();
    server.set_registration_token(Some("initial-token"));
    let token_file = TempFile::new("registration-token", "initial-token\n");
    let metadata = TempFile::new(
        "metadata",
        r#"{"client_name":"cli","grant_types":["client_credentials"]}"#,
    );
    let out = run(
        bare(),
        &[
            "register",
            "--issuer",
            &server.issuer(),
            "--metadata-file",
            metadata.path(),
            "--registration-token-file",
            token_file.path(),
        ],
        None,
    )
    .ok();
    let answer: serde_json::Value = serde_json::from_str(out.line()).unwrap();
    assert_eq!(answer["client_name"], "cli");
    assert!(answer["client_secret"].is_string());
    let mut with_token = bare();
    with_token.env("WI_REGISTRATION_TOKEN", "initial-token");
    run(
        with_token,
        &["register", "--issuer", &server.issuer(), "--metadata-stdin"],
        Some("{}"),
    )
    .ok();
    run(
        bare(),
        &["register", "--issuer", &server.issuer(), "--metadata", "{}"],
        None,
    )
    .fails(6);
    run(
        bare(),
        &[
            "register",
            "--issuer",
            &server.issuer(),
            "--metadata",
            "[1]",
        ],
        None,
    )
    .fails(2);
}

#[test]
fn tokens_and_secrets_never_come_from_the_command_line() {
    let server = server();
    for args in [
        &["introspect", "--token", "secret-token-value"][..],
        &["revoke", "--token=secret-token-value"],
        &["introspect"],
        &["revoke"],
        &[
            "register",
            "--metadata",
            "{}",
            "--registration-token",
            "secret-token-value",
        ],
        &[
            "register",
            "--metadata",
            "{}",
            "-o",
            "registration_token=secret-token-value",
        ],
        &["register"],
        &["introspect", "--token-stdin", "--client-secret-stdin"],
        &["register", "--metadata-stdin", "--registration-token-stdin"],
    ] {
        let out = run(oauth(&server), args, None).fails(2);
        assert!(!out.stderr.contains("secret-token-value"), "{out:?}");
    }
    assert!(server.requests().is_empty());
}

#[test]
fn revoke_drops_the_token_that_wi_token_cached_between_runs() {
    let server = server();
    let cache = crate::support::TempDir::new("oauth-cache");
    let home = |mut command: std::process::Command| {
        command.env("XDG_CACHE_HOME", &cache.0);
        command
    };
    let token = run(home(oauth(&server)), &["token"], None)
        .ok()
        .line()
        .to_owned();
    assert_eq!(
        run(home(oauth(&server)), &["token"], None).ok().line(),
        token,
        "cached"
    );
    run(
        home(oauth(&server)),
        &["revoke", "--token-stdin"],
        Some(&token),
    )
    .ok();
    let next = run(home(oauth(&server)), &["token"], None)
        .ok()
        .line()
        .to_owned();
    assert_ne!(next, token, "the revoked token was served from the cache");
}

#[test]
fn the_readme_oauth_example_runs_as_written() {
    let readme = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text = std::fs::read_to_string(readme).unwrap();
    let block = text
        .split("<!-- oauth-example:begin -->\n```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```\n<!-- oauth-example:end -->").next())
        .expect("the README holds the OAuth example");
    let tools = std::path::PathBuf::from(env!("CARGO_BIN_EXE_wi"));
    let path = format!(
        "{}:{}",
        tools.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = std::process::Command::new("bash")
        .args([
            "-e",
            "-o",
            "pipefail",
            "-c",
            &format!("rm -f /tmp/wi-oauth.port\n{block}"),
        ])
        .env_clear()
        .env("PATH", path)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(
        lines[0].starts_with("\"introspection_endpoint\":\"http://127.0.0.1:"),
        "{stdout}"
    );
    assert_eq!(
        &lines[1..],
        ["active", "inactive", "denied", "\"client_name\":\"batch\""]
    );
}
