//! `wi token`: output formats, secret inputs, flags over environment, logging.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::support::{bare, is_access_token, leaks_secret, run, server, wi, TempFile};

#[test]
fn prints_the_access_token_plain_and_as_json() {
    let server = server();
    let plain = run(wi(&server), &["token"], None).ok();
    assert!(is_access_token(plain.line()), "{plain:?}");
    for args in [&["token", "--json"][..], &["token", "--format", "json"]] {
        let json = run(wi(&server), args, None).ok();
        let rest = json.line().strip_prefix("{\"access_token\":\"");
        let (token, rest) = rest
            .and_then(|rest| rest.split_once("\",\"token_type\":\"Bearer\",\"expires_in\":"))
            .expect("token, type and expiry");
        assert!(is_access_token(token), "{json:?}");
        // The dev server's tokens live an hour; expires_at is RFC 3339 UTC.
        let (expires_in, expires_at) = rest.split_once(",\"expires_at\":\"").unwrap();
        let expires_in: u64 = expires_in.parse().unwrap();
        assert!((3590..=3600).contains(&expires_in), "{json:?}");
        assert!(
            expires_at.ends_with("Z\"}") && expires_at.len() == 22,
            "{json:?}"
        );
    }
    let raw = run(wi(&server), &["token", "--format", "raw"], None).ok();
    assert!(is_access_token(raw.line()), "{raw:?}");
    // Each run is a new process, hence a new cache: four full flows.
    assert_eq!(server.request_count("/oauth/token"), 4);
    assert_eq!(server.request_count("/oauth/exchange"), 4);
}

#[test]
fn reads_the_client_secret_from_a_file_or_stdin() {
    let server = server();
    let without_secret = || {
        let mut command = wi(&server);
        command.env_remove("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET");
        command
    };
    let file = TempFile::new("client-secret", "dev-secret\n");
    let from_file = run(
        without_secret(),
        &["token", "--client-secret-file", file.path()],
        None,
    )
    .ok();
    assert!(is_access_token(from_file.line()), "{from_file:?}");
    let from_stdin = run(
        without_secret(),
        &["token", "--client-secret-stdin"],
        Some("dev-secret\r\n"),
    )
    .ok();
    assert!(is_access_token(from_stdin.line()), "{from_stdin:?}");
    let form = &server.requests()[0].form;
    assert!(form.contains(&("client_secret".to_owned(), "dev-secret".to_owned())));
    // The file wins over the environment.
    let wrong = TempFile::new("wrong-secret", "not-the-secret");
    run(
        wi(&server),
        &["token", "--client-secret-file", wrong.path()],
        None,
    )
    .fails(4);
}

#[test]
fn refuses_the_client_secret_as_a_flag_value() {
    let server = server();
    for args in [
        &["token", "--client-secret", "s3cr3t-value"][..],
        &["token", "--client-secret=s3cr3t-value"],
        &["env", "--option", "client_secret=s3cr3t-value"],
    ] {
        let refused = run(wi(&server), args, None).fails(2);
        assert!(refused.stderr.contains("refused"), "{refused:?}");
        assert!(
            refused.stderr.contains("--client-secret-file PATH")
                && refused.stderr.contains("--client-secret-stdin")
                && refused
                    .stderr
                    .contains("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET"),
            "{refused:?}"
        );
        assert!(!refused.stderr.contains("s3cr3t"), "{refused:?}");
    }
    assert!(server.requests().is_empty());
}

#[test]
fn flags_override_the_environment() {
    let server = server();
    let mut command = wi(&server);
    command
        .env("COZE_WORKLOAD_IDENTITY_CLIENT_ID", "someone-else")
        .env(
            "COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT",
            "http://127.0.0.1:1/x",
        );
    let outcome = run(
        command,
        &[
            "token",
            "--client-id",
            "dev-client",
            &format!("--token-endpoint={}", server.token_endpoint()),
            "--server-env",
            "ppe_checkout",
            "--timeout-ms",
            "5000",
            "--connect-timeout-ms",
            "1000",
            "--max-retries",
            "0",
            "--option",
            "user_agent=wi-test/1",
        ],
        None,
    )
    .ok();
    assert!(is_access_token(outcome.line()), "{outcome:?}");
    for request in server.requests() {
        assert_eq!(request.form_value("client_id"), Some("dev-client"));
        assert_eq!(request.header("x-tt-env"), Some("ppe_checkout"));
        assert_eq!(request.header("x-use-ppe"), Some("1"));
        assert_eq!(request.header("user-agent"), Some("wi-test/1"));
    }
}

#[test]
fn verbose_logs_requests_to_stderr_without_secrets() {
    let server = server();
    for args in [&["-v", "token"][..], &["token", "--verbose"]] {
        let outcome = run(wi(&server), args, None);
        assert_eq!(outcome.code, 0, "{outcome:?}");
        assert!(is_access_token(outcome.line()), "{outcome:?}");
        assert!(
            outcome.stderr.contains("wi: debug: ")
                && outcome.stderr.contains(&server.token_endpoint()),
            "{outcome:?}"
        );
        assert!(!leaks_secret(&outcome.stderr), "a secret reached the log");
    }
}

#[test]
fn devserver_subcommand_serves_the_protocol() {
    let mut child = bare()
        .args(["devserver", "--port", "0", "--ttl", "120"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("wi devserver starts");
    let mut banner = String::new();
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    stdout.read_line(&mut banner).expect("the banner arrives");
    let base = banner
        .trim_end()
        .strip_prefix("listening on ")
        .map(str::to_owned);
    let outcome = base.as_ref().map(|base| {
        let mut command = bare();
        command
            .env("COZE_WORKLOAD_IDENTITY_CLIENT_ID", "dev-client")
            .env("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET", "dev-secret")
            .env(
                "COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT",
                format!("{base}/oauth/token"),
            )
            .env(
                "COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT",
                format!("{base}/oauth/exchange"),
            );
        run(
            command,
            &[
                "exchange",
                "--subject-token-stdin",
                "--subject-token-type",
                "urn:example:external",
                "--json",
            ],
            Some("external"),
        )
    });
    child.kill().expect("the dev server is killed");
    child.wait().expect("the dev server exits");
    assert!(
        base.is_some_and(|base| base.starts_with("http://127.0.0.1:")),
        "banner {banner:?}"
    );
    let outcome = outcome.expect("the exchange ran").ok();
    assert!(
        outcome.line().contains("\"expires_in\":120,"),
        "{outcome:?}"
    );
}

#[test]
fn caches_tokens_between_runs_under_the_user_cache_directory() {
    let server = server();
    let cache = crate::support::TempDir::new("xdg-cache");
    let cached = || {
        let mut command = wi(&server);
        command.env("XDG_CACHE_HOME", &cache.0);
        command
    };
    let first = run(cached(), &["token"], None).ok();
    let second = run(cached(), &["token"], None).ok();
    assert_eq!(first.line(), second.line(), "the second run read the cache");
    assert_eq!(server.request_count("/oauth/token"), 1);
    let dir = cache.0.join("workload-identity");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "the cache directory is private");
    // --no-cache (and an explicit memory store) go to the server.
    run(cached(), &["token", "--no-cache"], None).ok();
    run(cached(), &["token", "--token-store", "memory"], None).ok();
    assert_eq!(server.request_count("/oauth/token"), 3);
    // An unusable cache directory is a warning, not a failure.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let warned = run(cached(), &["token"], None);
    assert_eq!(warned.code, 0, "{warned:?}");
    assert!(is_access_token(warned.line()), "{warned:?}");
    assert!(warned.stderr.contains("not caching"), "{warned:?}");
}
