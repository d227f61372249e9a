//! Introspection (RFC 7662): what a resource server pays to check a token on
//! every request. Side by side, one thread, interleaved rounds: the library's
//! fail-safe check asking the server each time, the same check with the
//! positive-answer cache on (`introspection_cache_s`), and the same request
//! made directly with ureq 3 on a keep-alive agent with the library's buffer
//! sizes (the floor of a network check; ureq's default 128 KiB buffers make
//! each request several times slower here). µs per call.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use workload_identity::{Client, Config};

use crate::devserver::{fail, DevServer};
use crate::harness::{emit, round_time, rounds};

/// One timed row: its name, its role in the report, one call.
type Row<'a> = (&'static str, &'static str, Box<dyn FnMut() + 'a>);

const DIRECT: &str = "ureq 3 direct: POST /oauth2/introspect (keep-alive)";

pub fn run(server: &DevServer) {
    let token = server.issue_access_token("dev-client", "read write");
    let endpoint = server.introspection_endpoint();
    let uncached = client(&endpoint, None);
    let cached = client(&endpoint, Some("30"));
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .input_buffer_size(32 * 1024)
        .output_buffer_size(16 * 1024)
        .build()
        .new_agent();
    let mut rows: Vec<Row<'_>> = vec![
        (
            DIRECT,
            "baseline",
            Box::new(|| assert_active(direct_check(&agent, &endpoint, &token))),
        ),
        (
            "library: Client::token_is_active (asks the server each call)",
            "library",
            Box::new(|| assert_active(check(&uncached, &token))),
        ),
        (
            "library: Client::introspect_token (asks the server each call)",
            "library",
            Box::new(|| {
                let answer = uncached
                    .introspect_token(&token, None)
                    .unwrap_or_else(|error| fail(&error.to_string()));
                std::hint::black_box(answer.len());
            }),
        ),
        (
            "library: Client::token_is_active, introspection_cache_s=30 (positive answer reused)",
            "library",
            Box::new(|| assert_active(check(&cached, &token))),
        ),
    ];
    let calls: Vec<u64> = rows
        .iter_mut()
        .map(|(_, _, call)| calibrate(call))
        .collect();
    let mut samples = vec![Vec::new(); rows.len()];
    for _ in 0..rounds() {
        for (index, (_, _, call)) in rows.iter_mut().enumerate() {
            let started = Instant::now();
            for _ in 0..calls[index] {
                call();
            }
            samples[index].push(started.elapsed().as_nanos() as f64 / 1000.0 / calls[index] as f64);
        }
    }
    for ((name, role, _), samples) in rows.iter().zip(&samples) {
        emit(
            "introspect",
            "Rust",
            name,
            role,
            "us/call",
            samples,
            json!({ "versus": DIRECT }),
        );
    }
}

/// A `flow=none` client of the dev client that introspects at `endpoint`.
fn client(endpoint: &str, cache_seconds: Option<&str>) -> Client {
    let mut builder = Config::builder();
    let mut settings = vec![
        ("flow", "none"),
        ("client_id", "dev-client"),
        ("client_secret", "dev-secret"),
        ("introspection_endpoint", endpoint),
    ];
    if let Some(seconds) = cache_seconds {
        settings.push(("introspection_cache_s", seconds));
    }
    for (key, value) in settings {
        builder
            .set(key, value)
            .unwrap_or_else(|error| fail(&error.to_string()));
    }
    let config = builder
        .build()
        .unwrap_or_else(|error| fail(&error.to_string()));
    Client::new(config).unwrap_or_else(|error| fail(&error.to_string()))
}

fn check(client: &Client, token: &str) -> bool {
    client
        .token_is_active(token, Some("read"))
        .unwrap_or_else(|error| fail(&error.to_string()))
}

/// The same check made directly: the form (client_secret_post, as the
/// library sends it), the answer parsed, `active` and the scope checked.
fn direct_check(agent: &ureq::Agent, endpoint: &str, token: &str) -> bool {
    let body = format!("client_id=dev-client&client_secret=dev-secret&token={token}");
    let mut response = agent
        .post(endpoint)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(body.as_bytes())
        .unwrap_or_else(|error| fail(&format!("POST {endpoint}: {error}")));
    let bytes = response
        .body_mut()
        .read_to_vec()
        .unwrap_or_else(|error| fail(&format!("POST {endpoint}: {error}")));
    let answer: Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| fail("not JSON"));
    answer["active"] == true
        && answer["scope"]
            .as_str()
            .is_some_and(|scope| scope.split(' ').any(|granted| granted == "read"))
}

fn assert_active(active: bool) {
    if !active {
        fail("the token is not active");
    }
}

/// Warms `call` up and returns how many calls take about one round.
fn calibrate(call: &mut Box<dyn FnMut() + '_>) -> u64 {
    let target = round_time();
    let mut calls = 8u64;
    loop {
        let started = Instant::now();
        for _ in 0..calls {
            call();
        }
        let elapsed = started.elapsed();
        if elapsed >= target / 4 || elapsed >= Duration::from_secs(1) {
            return ((calls as f64 * target.as_secs_f64() / elapsed.as_secs_f64()) as u64).max(1);
        }
        calls *= 2;
    }
}
