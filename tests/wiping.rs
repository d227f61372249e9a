//! Wiping: once every client, token and string is freed, no secret that crossed
//! the library (the client secret, ID tokens, access tokens, exchanged tokens,
//! credentials, env-var values) is left anywhere in the process's writable
//! memory: heap (freed blocks included), stacks, data.
//!
//! The test runs the flows in a child process (this test binary again, which
//! gets the dev server's port in `WI_WIPING_CHILD_PORT`), then sends it every
//! secret value the dev server saw or issued, masked (XOR 0xA5, in hex, so that
//! the child never holds one in clear), and the child scans its own memory.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::FileExt;
use std::process::{Command, Stdio};

use wi_devserver::{DevServer, Options};
use workload_identity::{Client, ConfigBuilder, ExchangeParams};

const CHILD_PORT: &str = "WI_WIPING_CHILD_PORT";
const TEST_NAME: &str = "no_secret_is_left_in_memory_once_everything_is_freed";
const MASK: u8 = 0xA5;
// Literals live in the binary's read-only data, which the scan skips.
const CLIENT_ID: &str = "wiping-client";
const CLIENT_SECRET: &str = "wiping-client-secret-5b1f0e77";
const CREDENTIAL: &str = "wiping-credential-c0a4e1f9d2";
const ENV_VALUES: [&str; 2] = ["wiping-env-value-7d3b9e1a40", "wiping-env-value-é-2f8c61"];

#[test]
fn no_secret_is_left_in_memory_once_everything_is_freed() {
    if let Ok(port) = std::env::var(CHILD_PORT) {
        child(port.parse().unwrap());
        return;
    }
    let server = DevServer::start(Options {
        clients: vec![(CLIENT_ID.into(), CLIENT_SECRET.into())],
        integrations: vec![("wiping".into(), CREDENTIAL.into())],
        env_vars: vec![
            ("WIPING_A".into(), ENV_VALUES[0].into()),
            ("WIPING_B".into(), ENV_VALUES[1].into()),
        ],
        ..Options::default()
    })
    .unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
        .env(CHILD_PORT, server.port().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.trim_end().ends_with("scan-ready") {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the child ended early"
        );
    }

    let mut secrets: Vec<(String, String)> = vec![
        ("client secret".into(), CLIENT_SECRET.into()),
        ("credential".into(), CREDENTIAL.into()),
    ];
    for value in ENV_VALUES {
        secrets.push(("env-var value".into(), value.into()));
    }
    for request in server.requests() {
        if let Some(token) = request.form_value("subject_token") {
            secrets.push((
                format!("subject_token sent to {}", request.path),
                token.into(),
            ));
        }
        if let Some(bearer) = request.header("authorization") {
            let token = bearer.trim_start_matches("Bearer ");
            secrets.push((
                format!("access token sent to {}", request.path),
                token.into(),
            ));
        }
    }
    secrets.sort();
    secrets.dedup();
    assert!(secrets.len() >= 8, "{secrets:?}");
    let mut needles = String::new();
    for (_, value) in &secrets {
        for byte in value.bytes() {
            needles.push_str(&format!("{:02x}", byte ^ MASK));
        }
        needles.push(' ');
    }
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{needles}").unwrap();
    drop(stdin);
    let mut report = String::new();
    stdout.read_to_string(&mut report).unwrap();
    assert!(
        child.wait().unwrap().success(),
        "the child failed:\n{report}"
    );
    let mut leaks = Vec::new();
    for line in report.lines() {
        if let Some(hit) = line.strip_prefix("hit ") {
            let (index, place) = hit.split_once(' ').unwrap();
            let (what, _) = &secrets[index.parse::<usize>().unwrap()];
            leaks.push(format!("{what}: {place}"));
        }
    }
    assert!(report.contains("scan-done"), "{report}");
    assert!(
        leaks.is_empty(),
        "{} copies of {} secrets left in memory:\n{}",
        leaks.len(),
        secrets.len(),
        leaks.join("\n")
    );
}

/// Every flow that handles a secret, through the Rust API and the C ABI; then
/// everything is freed, and the memory is scanned for the values sent on stdin.
fn child(port: u16) {
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let (token_url, exchange_url, outbound_url) = (
        url("/oauth/token"),
        url("/oauth/exchange"),
        url("/outbound"),
    );
    let mut builder = ConfigBuilder::new();
    for (key, value) in [
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("token_endpoint", &token_url),
        ("access_token_endpoint", &exchange_url),
        ("outbound_auth_endpoint", &outbound_url),
    ] {
        builder.set(key, value).unwrap();
    }
    {
        let client = Client::new(builder.build_with_env(|_| None).unwrap()).unwrap();
        let token = client.access_token().unwrap();
        client.integration_credential("wiping").unwrap();
        client.project_env_vars().unwrap();
        let exchanged = client
            .exchange_token(&ExchangeParams {
                subject_token: token.expose(),
                ..ExchangeParams::default()
            })
            .unwrap();
        // Sends the exchanged token, so that the scan looks for it too.
        client
            .exchange_token(&ExchangeParams {
                subject_token: exchanged.access_token.expose(),
                ..ExchangeParams::default()
            })
            .unwrap();
        ffi_flows(&client, port);
        // The cache holds the last token by design: drop it before the scan.
        let last = client.access_token().unwrap();
        client.invalidate_token(last.expose());
    }
    drop(builder);
    // A client of another identity sweeps the registry of identities that have
    // no client and no token left (their keys hold the client secret).
    let mut other = ConfigBuilder::new();
    for (key, value) in [
        ("client_id", "sweeper"),
        ("client_secret", "sweeper-secret"),
        ("token_endpoint", &token_url),
        ("access_token_endpoint", &exchange_url),
    ] {
        other.set(key, value).unwrap();
    }
    drop(Client::new(other.build_with_env(|_| None).unwrap()).unwrap());

    println!("scan-ready");
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    let needles: Vec<Vec<u8>> = line
        .split_whitespace()
        .map(|hex| {
            (0..hex.len())
                .step_by(2)
                .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).unwrap())
                .collect()
        })
        .collect();
    for (index, place) in scan(&needles) {
        println!("hit {index} {place}");
    }
    println!("scan-done");
}

/// The C ABI's own copies: returned strings, the caller buffer, the env-var JSON.
fn ffi_flows(client: &Client, port: u16) {
    use std::ffi::CString;
    use workload_identity::ffi::client::*;
    use workload_identity::ffi::options::*;
    use workload_identity::ffi::strings::wi_free_string;
    let _ = client;
    // SAFETY: every pointer is NULL or valid for the call; every handle and
    // string is freed once.
    unsafe {
        let options = wi_options_new();
        let url = |path: &str| CString::new(format!("http://127.0.0.1:{port}{path}")).unwrap();
        for (key, value) in [
            ("client_id", CString::new(CLIENT_ID).unwrap()),
            ("client_secret", CString::new(CLIENT_SECRET).unwrap()),
            ("token_endpoint", url("/oauth/token")),
            ("access_token_endpoint", url("/oauth/exchange")),
            ("outbound_auth_endpoint", url("/outbound")),
        ] {
            let key = CString::new(key).unwrap();
            wi_options_set(options, key.as_ptr(), value.as_ptr(), std::ptr::null_mut());
            // CString does not wipe: wipe the copy of the secret by hand.
            let mut bytes = value.into_bytes();
            bytes.iter_mut().for_each(|byte| *byte = 0);
        }
        let mut handle = std::ptr::null_mut();
        wi_client_new(options, &mut handle, std::ptr::null_mut());
        wi_options_free(options);
        assert!(!handle.is_null());
        let mut text = std::ptr::null_mut();
        assert_eq!(
            wi_force_refresh(handle, &mut text, std::ptr::null_mut()) as u32,
            0
        );
        wi_free_string(text);
        wi_get_access_token(handle, &mut text, std::ptr::null_mut());
        wi_free_string(text);
        let mut buffer = [0_u8; 256];
        let mut length = 0;
        wi_get_access_token_into(
            handle,
            buffer.as_mut_ptr().cast(),
            buffer.len(),
            &mut length,
            std::ptr::null_mut(),
        );
        buffer.iter_mut().for_each(|byte| *byte = 0);
        let name = CString::new("wiping").unwrap();
        wi_get_integration_credential(handle, name.as_ptr(), &mut text, std::ptr::null_mut());
        wi_free_string(text);
        assert_eq!(
            wi_get_project_env_vars(handle, &mut text, std::ptr::null_mut()) as u32,
            0
        );
        wi_free_string(text);
        wi_client_free(handle);
    }
}

/// Where each needle (masked) occurs in clear in this process's writable memory.
fn scan(needles: &[Vec<u8>]) -> Vec<(usize, String)> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let memory = std::fs::File::open("/proc/self/mem").unwrap();
    let mut hits = Vec::new();
    let mut chunk = vec![0_u8; 1 << 20];
    for line in maps.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 2 || !fields[1].starts_with("rw") {
            continue;
        }
        let (start, end) = fields[0].split_once('-').unwrap();
        let start = u64::from_str_radix(start, 16).unwrap();
        let end = u64::from_str_radix(end, 16).unwrap();
        let name = fields.get(5).copied().unwrap_or("[anonymous]");
        // Chunks overlap by the longest needle, so that no match is split.
        let overlap = needles.iter().map(Vec::len).max().unwrap_or(0) as u64;
        let mut at = start;
        while at < end {
            let length = (end - at).min(chunk.len() as u64) as usize;
            let Ok(read) = memory.read_at(&mut chunk[..length], at) else {
                break;
            };
            for (index, needle) in needles.iter().enumerate() {
                let windows = chunk[..read].windows(needle.len()).enumerate();
                for (offset, window) in windows {
                    if window
                        .iter()
                        .zip(needle)
                        .all(|(byte, masked)| *byte == masked ^ MASK)
                    {
                        let context = around(&chunk[..read], offset, needle.len());
                        let address = at + offset as u64;
                        hits.push((index, format!("{name} at {address:#x}: {context}")));
                    }
                }
            }
            if at + length as u64 >= end {
                break;
            }
            at += length as u64 - overlap.min(length as u64 - 1);
        }
    }
    hits
}

/// The bytes around a hit, to tell where the copy came from: printable ASCII
/// as is, other bytes as `.`, the secret itself as `*`.
fn around(memory: &[u8], offset: usize, length: usize) -> String {
    let from = offset.saturating_sub(48);
    let to = (offset + length + 48).min(memory.len());
    (from..to)
        .map(|at| match memory[at] {
            _ if (offset..offset + length).contains(&at) => '*',
            byte if byte.is_ascii_graphic() || byte == b' ' => char::from(byte),
            _ => '.',
        })
        .collect()
}
