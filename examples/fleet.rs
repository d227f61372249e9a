//! One process of `make fleet` (bench/fleet/): a service that asks for a token
//! on every request, the way a web handler does, until a given instant.
//!
//! ```text
//! fleet --url http://127.0.0.1:PORT --client-id ID --client-secret SECRET
//!       --token-store memory|file:DIR --start-unix-ms T0 --end-unix-ms T1
//!       [--min-interval-ms 10] [--max-interval-ms 50]
//! ```
//!
//! Builds its client, waits for `T0` (so that a whole fleet starts at once),
//! then calls `access_token_with_expiry` in a loop, sleeping a random 10-50 ms
//! between calls, until `T1`. Prints one JSON line: per second since `T0`,
//! `[calls, errors, errors while valid, server requests, retries, longest
//! call in µs]`, where an error *while valid* is one returned while the last
//! token this process was given had not yet expired (the library should never
//! do that), plus the client's final counters. Loopback only: the URL must
//! be `http://127.0.0.1:...`.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;
use workload_identity::{Client, Config};

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64)
}

fn usage(message: &str) -> ! {
    eprintln!("fleet: {message}");
    eprintln!(
        "usage: fleet --url http://127.0.0.1:PORT --client-id ID --client-secret SECRET \
         --token-store memory|file:DIR --start-unix-ms T0 --end-unix-ms T1 \
         [--min-interval-ms N] [--max-interval-ms N]"
    );
    std::process::exit(2);
}

/// `--name value` pairs.
fn arguments() -> HashMap<String, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() % 2 != 0 {
        usage("every option takes one value");
    }
    args.chunks(2)
        .map(|pair| match pair[0].strip_prefix("--") {
            Some(name) => (name.to_owned(), pair[1].clone()),
            None => usage(&format!("unexpected argument {}", pair[0])),
        })
        .collect()
}

/// xorshift64*: the sleep between calls needs no more than that.
struct Jitter(u64);

impl Jitter {
    fn new() -> Jitter {
        let seed = (std::process::id() as u64) << 32 ^ unix_ms() as u64;
        Jitter(seed | 1)
    }

    fn between(&mut self, low: u64, high: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        low + self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % (high - low + 1)
    }
}

/// What one second of the run saw.
#[derive(Clone, Copy, Default)]
struct Second {
    calls: u64,
    errors: u64,
    errors_while_valid: u64,
    server_requests: u64,
    retries: u64,
    longest_call_us: u64,
}

fn main() {
    let args = arguments();
    let text = |name: &str| {
        args.get(name)
            .cloned()
            .unwrap_or_else(|| usage(&format!("--{name} is required")))
    };
    let number = |name: &str, default: Option<i64>| -> i64 {
        match args.get(name) {
            Some(value) => value
                .parse()
                .unwrap_or_else(|_| usage(&format!("--{name} must be a number"))),
            None => default.unwrap_or_else(|| usage(&format!("--{name} is required"))),
        }
    };
    let url = text("url");
    if !url.starts_with("http://127.0.0.1:") {
        usage("--url must be a loopback URL, http://127.0.0.1:PORT");
    }
    let (start, end) = (number("start-unix-ms", None), number("end-unix-ms", None));
    let min_interval = number("min-interval-ms", Some(10)).max(0) as u64;
    let max_interval = number("max-interval-ms", Some(50)).max(min_interval as i64) as u64;
    if end <= start || end - start > 3_600_000 {
        usage("--end-unix-ms must be after --start-unix-ms, by at most an hour");
    }

    let mut builder = Config::builder();
    for (key, value) in [
        ("client_id", text("client-id")),
        ("client_secret", text("client-secret")),
        ("token_endpoint", format!("{url}/oauth/token")),
        ("access_token_endpoint", format!("{url}/oauth/exchange")),
        ("token_store", text("token-store")),
    ] {
        if let Err(error) = builder.set(key, &value) {
            usage(&error.to_string());
        }
    }
    let client = builder
        .build()
        .and_then(Client::new)
        .unwrap_or_else(|error| usage(&error.to_string()));

    let wait = start - unix_ms();
    if wait > 0 {
        std::thread::sleep(Duration::from_millis(wait as u64));
    }
    let mut seconds = vec![Second::default(); ((end - start) / 1000 + 1) as usize];
    let mut jitter = Jitter::new();
    let mut valid_until = i64::MIN;
    let mut counted = client.stats();
    let mut current = 0;
    loop {
        let now = unix_ms();
        if now >= end {
            break;
        }
        let second = ((now - start) / 1000).max(0) as usize;
        if second != current {
            // Counters are read once a second, charged to the second that ends.
            let stats = client.stats();
            seconds[current].server_requests += stats.server_requests - counted.server_requests;
            seconds[current].retries += stats.retries - counted.retries;
            counted = stats;
            current = second;
        }
        let began = Instant::now();
        let result = client.access_token_with_expiry();
        let took = began.elapsed().as_micros() as u64;
        let bucket = &mut seconds[second];
        bucket.calls += 1;
        bucket.longest_call_us = bucket.longest_call_us.max(took);
        match result {
            Ok((token, expires_at_unix_ms)) => {
                std::hint::black_box(token.len());
                valid_until = expires_at_unix_ms;
            }
            Err(_) => {
                bucket.errors += 1;
                if unix_ms() < valid_until {
                    bucket.errors_while_valid += 1;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(
            jitter.between(min_interval, max_interval),
        ));
    }
    let stats = client.stats();
    seconds[current].server_requests += stats.server_requests - counted.server_requests;
    seconds[current].retries += stats.retries - counted.retries;
    let seconds: Vec<[u64; 6]> = seconds
        .iter()
        .map(|s| {
            [
                s.calls,
                s.errors,
                s.errors_while_valid,
                s.server_requests,
                s.retries,
                s.longest_call_us,
            ]
        })
        .collect();
    let report = json!({
        "seconds": seconds,
        "stats": {
            "cache_hits": stats.cache_hits,
            "cache_misses": stats.cache_misses,
            "refreshes_started": stats.refreshes_started,
            "refreshes_succeeded": stats.refreshes_succeeded,
            "refreshes_failed": stats.refreshes_failed,
            "stale_served": stats.stale_served,
            "retries": stats.retries,
            "server_requests": stats.server_requests,
        },
    });
    println!("{report}");
}
