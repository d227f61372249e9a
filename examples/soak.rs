//! Soak test (`make soak`, not part of `make test`): 16 threads against the dev
//! server for ten minutes (or `--seconds N`) while faults and short token
//! lifetimes are injected at random. Reports calls, errors by class, server
//! requests, RSS at start and end, and whether any caller ever received a
//! token the server no longer accepted. Exits 1 on an expired token or growth.
//! The dev server runs as its own process (`WI_DEVSERVER`, else next to this
//! binary's target directory), so that the RSS measured is the library's.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use workload_identity::{Client, ConfigBuilder};

const THREADS: usize = 16;
/// RSS growth beyond this between warm-up and the end fails the soak.
const MAX_GROWTH_KIB: u64 = 8 * 1024;

/// Resident set size and its peak, in KiB, from /proc/self/status.
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|value| value.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// One raw HTTP request to the dev server (outside the library); the response text.
fn raw(port: u16, method: &str, path: &str, headers: &str, body: &str) -> String {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut response = String::new();
    if stream.write_all(request.as_bytes()).is_ok() {
        let _ = stream.read_to_string(&mut response);
    }
    response
}

/// Whether the server still accepts `token`.
fn accepted(port: u16, token: &str) -> bool {
    let auth = format!("Authorization: Bearer {token}\r\n");
    !raw(port, "GET", "/outbound/env", &auth, "").starts_with("HTTP/1.1 401")
}

/// Starts the dev server binary; returns the process and its port.
fn start_devserver() -> (Child, u16) {
    let binary = std::env::var("WI_DEVSERVER").unwrap_or_else(|_| {
        let exe = std::env::current_exe().expect("own path");
        let release = exe
            .parent()
            .and_then(|dir| dir.parent())
            .expect("target dir");
        release.join("wi-devserver").display().to_string()
    });
    let mut child = Command::new(&binary)
        .args(["--port", "0", "--ttl", "20"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {binary}: {error}"));
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout).read_line(&mut line).expect("banner");
    let port = line.trim().rsplit(':').next().and_then(|p| p.parse().ok());
    (child, port.expect("port in the banner"))
}

/// A small xorshift generator: the soak needs variety, not quality.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// Injects one random fault, and sometimes a new token lifetime.
fn inject(port: u16, random: &mut Random) {
    let paths = ["/oauth/token", "/oauth/exchange", "/outbound/integration"];
    let kind = match random.below(5) {
        0 => r#""status":503"#,
        1 => r#""status":429,"retry_after":1"#,
        2 => r#""kind":"malformed_json""#,
        3 => r#""kind":"delay""#,
        _ => r#""status":500"#,
    };
    let fault = format!(
        r#"{{"path":"{}","count":{},"delay_ms":{},{kind}}}"#,
        paths[random.below(3) as usize],
        1 + random.below(4),
        random.below(1500)
    );
    let json = "Content-Type: application/json\r\n";
    raw(port, "POST", "/_dev/faults", json, &fault);
    if random.below(10) == 0 {
        let ttl = format!(r#"{{"ttl":{}}}"#, 6 + random.below(40));
        raw(port, "POST", "/_dev/config", json, &ttl);
    }
}

#[derive(Default)]
struct Tally {
    calls: AtomicU64,
    verified: AtomicU64,
    expired: AtomicU64,
    errors: Mutex<BTreeMap<String, u64>>,
}

fn work(client: Client, port: u16, seed: u64, stop: &AtomicBool, tally: &Tally) {
    let mut random = Random(0x9E37_79B9_7F4A_7C15 ^ seed);
    while !stop.load(Ordering::Relaxed) {
        let choice = random.below(100_000);
        let result = match choice {
            0..=99 => client.integration_credential("github").map(|_| None),
            100..=199 => client.project_env_vars().map(|_| None),
            200 => client.force_refresh().map(Some),
            _ => client.access_token().map(Some),
        };
        tally.calls.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok(Some(token)) if choice % 2_000 == 0 => {
                tally.verified.fetch_add(1, Ordering::Relaxed);
                if !accepted(port, token.expose()) {
                    tally.expired.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok(_) => {}
            Err(error) => {
                let class = format!("{:?}", error.kind());
                *tally.errors.lock().unwrap().entry(class).or_default() += 1;
            }
        }
        if random.below(4) == 0 {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

fn main() {
    let seconds: u64 = std::env::args()
        .skip_while(|arg| arg != "--seconds")
        .nth(1)
        .and_then(|value| value.parse().ok())
        .unwrap_or(600);
    let (mut devserver, port) = start_devserver();
    let base = format!("http://127.0.0.1:{port}");
    let mut builder = ConfigBuilder::new();
    for (key, value) in [
        ("client_id", "dev-client".to_owned()),
        ("client_secret", "dev-secret".to_owned()),
        ("token_endpoint", format!("{base}/oauth/token")),
        ("access_token_endpoint", format!("{base}/oauth/exchange")),
        ("outbound_auth_endpoint", format!("{base}/outbound")),
        ("expiry_buffer_s", "5".to_owned()),
        ("timeout_ms", "1000".to_owned()),
        ("deadline_ms", "3000".to_owned()),
    ] {
        builder.set(key, &value).expect("valid option");
    }
    let config = builder.build_with_env(|_| None).expect("config");
    let client = Client::new(config).expect("client");

    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let workers: Vec<_> = (0..THREADS as u64)
        .map(|seed| {
            let (client, stop, tally) = (client.clone(), stop.clone(), tally.clone());
            std::thread::spawn(move || work(client, port, seed, &stop, &tally))
        })
        .collect();

    let mut random = Random(0xDEAD_BEEF);
    std::thread::sleep(Duration::from_secs(10.min(seconds)));
    let (rss_start, _) = rss_kib();
    let mut rss_by_minute = vec![rss_start];
    while started.elapsed() < Duration::from_secs(seconds) {
        inject(port, &mut random);
        std::thread::sleep(Duration::from_millis(500 + random.below(1500)));
        if started.elapsed() >= Duration::from_secs(60 * rss_by_minute.len() as u64 + 10) {
            rss_by_minute.push(rss_kib().0);
        }
    }
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().expect("worker");
    }
    let (rss_end, rss_peak) = rss_kib();
    let server_stats = raw(port, "GET", "/_dev/stats", "", "");
    let server_total = server_stats
        .split("\"total\":")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .unwrap_or("?")
        .to_owned();
    let _ = devserver.kill();
    let _ = devserver.wait();

    let stats = client.stats();
    let expired = tally.expired.load(Ordering::Relaxed);
    let growth = rss_end.saturating_sub(rss_start);
    let ok = expired == 0 && growth < MAX_GROWTH_KIB;
    println!(
        "soak: {THREADS} threads for {:.0} s",
        started.elapsed().as_secs_f64()
    );
    println!(
        "  calls made:        {}",
        tally.calls.load(Ordering::Relaxed)
    );
    println!("  errors by class:   {:?}", tally.errors.lock().unwrap());
    println!(
        "  server requests:   {} by the library ({server_total} at the server, with the soak's own checks)",
        stats.server_requests
    );
    println!(
        "  refreshes:         {} started, {} ok, {} failed; {} stale served; {} retries",
        stats.refreshes_started,
        stats.refreshes_succeeded,
        stats.refreshes_failed,
        stats.stale_served,
        stats.retries
    );
    println!(
        "  tokens verified:   {} at the server, {expired} no longer accepted",
        tally.verified.load(Ordering::Relaxed)
    );
    println!("  RSS:               {rss_start} KiB after warm-up, {rss_end} KiB at the end, peak {rss_peak} KiB");
    println!("  RSS each minute:   {rss_by_minute:?} KiB");
    println!("  verdict:           {}", if ok { "ok" } else { "FAILED" });
    std::process::exit(if ok { 0 } else { 1 });
}
