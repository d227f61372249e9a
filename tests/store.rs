//! The file token store across processes: N processes sharing a directory
//! cost one server round trip per token lifetime, not N; entries are bound to
//! their identity; a bad directory is refused at client creation.
//!
//! Child processes are this test binary run again on `store_child`, which
//! does nothing unless `WI_STORE_CHILD` is set.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{client, server, settings};
use workload_identity::{Client, ErrorKind};

/// A temporary directory, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "wi-store-{name}-{}-{:?}",
            std::process::id(),
            Instant::now()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn store_option(dir: &Path) -> String {
    format!("file:{}", dir.join("tokens").display())
}

/// Child: calls for a token at once, then every 5 ms for `WI_STORE_SECONDS`,
/// like a service per request; prints how many calls failed.
#[test]
fn store_child() {
    let Ok(settings_line) = std::env::var("WI_STORE_CHILD") else {
        return;
    };
    let client = common::client_from_settings_lines(&settings_line);
    let seconds: u64 = std::env::var("WI_STORE_SECONDS").unwrap().parse().unwrap();
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut failures = 0;
    loop {
        if client.access_token().is_err() {
            failures += 1;
        }
        if Instant::now() >= end {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    println!("failures={failures}");
}

/// Runs `count` children on the same settings at once; returns their failures.
fn run_children(count: usize, settings_line: &str, seconds: u64) -> u64 {
    run_children_with(count, settings_line, seconds, &[])
}

/// [`run_children`] with `extra` settings.
fn run_children_with(
    count: usize,
    settings_line: &str,
    seconds: u64,
    extra: &[(&str, &str)],
) -> u64 {
    let mut settings_line = settings_line.to_owned();
    for (key, value) in extra {
        settings_line.push_str(&format!("\n{key}={value}"));
    }
    let children: Vec<_> = (0..count)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "store_child", "--nocapture", "--test-threads=1"])
                .env("WI_STORE_CHILD", &settings_line)
                .env("WI_STORE_SECONDS", seconds.to_string())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            assert!(output.status.success(), "a child failed");
            let text = String::from_utf8(output.stdout).unwrap();
            let reported = text
                .split("failures=")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .expect("the child reports");
            reported.parse::<u64>().unwrap()
        })
        .sum()
}

fn child_settings(server: &wi_devserver::DevServer, store: Option<&str>) -> String {
    let mut pairs = vec![
        "client_id=dev-client".to_owned(),
        "client_secret=dev-secret".to_owned(),
        format!("token_endpoint={}", server.token_endpoint()),
        format!("access_token_endpoint={}", server.access_token_endpoint()),
    ];
    if let Some(store) = store {
        pairs.push(format!("token_store={store}"));
    }
    pairs.join("\n")
}

#[test]
fn eight_processes_on_one_directory_cost_one_fetch_per_token_lifetime() {
    const SECONDS: u64 = 6;
    // 4 s tokens are handed out for 2 s and refreshed ahead from 1 s on.
    let server = server();
    server.set_ttl(4);
    let dir = TempDir::new("eight");
    let failures = run_children(
        8,
        &child_settings(&server, Some(&store_option(&dir.0))),
        SECONDS,
    );
    let shared = server.request_count("/oauth/token");
    server.reset();
    server.set_ttl(4);
    let failures_memory = run_children(8, &child_settings(&server, None), SECONDS);
    let alone = server.request_count("/oauth/token");
    println!(
        "8 processes for {SECONDS} s with 4 s tokens: {shared} token fetches with a shared \
         file store, {alone} with memory stores"
    );
    assert_eq!(failures + failures_memory, 0, "no call failed");
    // About one fetch per second of refresh-ahead, whatever the process count.
    assert!(
        shared <= SECONDS as usize + 3,
        "{shared} fetches with the store"
    );
    assert!(
        alone >= 4 * shared,
        "{alone} fetches without the store vs {shared}"
    );
}

#[test]
fn a_new_process_takes_the_stored_token_without_a_request() {
    let server = server();
    let dir = TempDir::new("takes");
    let store = store_option(&dir.0);
    let first = client(&server, &[("token_store", &store)]);
    let token = first.access_token().unwrap();
    assert_eq!(server.request_count("/oauth/token"), 1);
    // Another process: a child with the same settings calls for 0 s worth: once.
    let failures = run_children(1, &child_settings(&server, Some(&store)), 0);
    assert_eq!(failures, 0);
    assert_eq!(
        server.request_count("/oauth/token"),
        1,
        "the child read the stored token"
    );
    // The entry is 0600 in a 0700 directory, and holds no secret.
    let store_dir = dir.0.join("tokens");
    let mode = std::fs::metadata(&store_dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    let mut entries = 0;
    for entry in std::fs::read_dir(&store_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "tokens") {
            entries += 1;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                !text.contains("dev-secret"),
                "the client secret is not stored"
            );
            assert!(text.contains(token.expose()), "the token is");
        }
    }
    assert_eq!(entries, 1);
}

#[test]
fn another_secret_never_reads_the_entry_and_a_corrupt_entry_is_replaced() {
    let server = server();
    let dir = TempDir::new("bound");
    let store = store_option(&dir.0);
    let right = client(&server, &[("token_store", &store)]);
    right.access_token().unwrap();
    let wrong = Client::new(
        settings(
            &server,
            &[("token_store", &store), ("client_secret", "wrong")],
        )
        .build_with_env(|_| None)
        .unwrap(),
    )
    .unwrap();
    let error = wrong.access_token().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenRetrieval, "{error}");
    // Corrupt every entry: a new process ignores it, fetches, and replaces it.
    let store_dir = dir.0.join("tokens");
    for entry in std::fs::read_dir(&store_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "tokens") {
            std::fs::write(&path, b"{not json").unwrap();
        }
    }
    let before = server.request_count("/oauth/token");
    assert_eq!(
        run_children(1, &child_settings(&server, Some(&store)), 0),
        0
    );
    assert_eq!(
        server.request_count("/oauth/token"),
        before + 1,
        "a corrupt entry is ignored"
    );
    assert_eq!(
        run_children(1, &child_settings(&server, Some(&store)), 0),
        0
    );
    assert_eq!(
        server.request_count("/oauth/token"),
        before + 1,
        "the replaced entry serves the next process"
    );
}

#[test]
fn an_unusable_directory_is_a_store_error_at_client_creation() {
    let server = server();
    let dir = TempDir::new("refused");
    let open = dir.0.join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let file = dir.0.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    for bad in [open, file.join("below-a-file")] {
        let store = format!("file:{}", bad.display());
        let error = Client::new(
            settings(&server, &[("token_store", &store)])
                .build_with_env(|_| None)
                .unwrap(),
        )
        .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Store, "{error}");
    }
}

#[test]
fn during_an_outage_the_processes_of_a_host_share_a_failure() {
    const SECONDS: u64 = 4;
    let server = server();
    let outage = || {
        common::status_fault(
            "/oauth/token",
            503,
            r#"{"error":"temporarily_unavailable"}"#,
            u32::MAX,
        )
    };
    let dir = TempDir::new("outage");
    server.push_fault(outage());
    let settings = child_settings(&server, Some(&store_option(&dir.0)));
    let failures_shared = run_children_failing(8, &settings, SECONDS);
    let shared = server.request_count("/oauth/token");
    server.reset();
    server.push_fault(outage());
    let failures_alone = run_children_failing(8, &child_settings(&server, None), SECONDS);
    let alone = server.request_count("/oauth/token");
    println!(
        "8 processes for {SECONDS} s of outage: {shared} token requests with a shared file \
         store, {alone} with memory stores ({failures_shared} and {failures_alone} failed calls)"
    );
    assert!(
        failures_shared > 0 && failures_alone > 0,
        "the outage is seen"
    );
    assert!(
        shared * 2 <= alone,
        "{shared} requests shared vs {alone} alone"
    );
}

/// As [`run_children`], for children whose calls are expected to fail.
fn run_children_failing(count: usize, settings_line: &str, seconds: u64) -> u64 {
    run_children_with(count, settings_line, seconds, &[("max_retries", "0")])
}
