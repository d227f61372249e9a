//! Cold fetch: time to the first token of a new identity (step 1 + step 2),
//! through the library (client creation included) and through the same two
//! requests made directly with ureq 3 on a fresh keep-alive agent (agent
//! creation included): the difference is the library's own overhead.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::devserver::{fail, DevServer, SECRET};
use crate::harness::emit;

/// Rounds of each (`$WI_BENCH_COLD_ROUNDS`, default 100), after 3 unrecorded.
fn rounds() -> usize {
    std::env::var("WI_BENCH_COLD_ROUNDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(100)
}

const WARM_UP: usize = 3;

pub fn run(server: &DevServer) {
    let rounds = rounds();
    let library_ids = server.fresh_client_ids("cold-lib", rounds + WARM_UP);
    let direct_ids = server.fresh_client_ids("cold-ureq", rounds + WARM_UP);
    let mut library = Split::default();
    let mut direct = Split::default();
    for round in 0..rounds + WARM_UP {
        // Alternate which goes first, so neither always follows the other.
        let (first, second) = if round % 2 == 0 {
            let first = library_first_token(server, &library_ids[round]);
            (first, direct_first_token(server, &direct_ids[round]))
        } else {
            let second = direct_first_token(server, &direct_ids[round]);
            (library_first_token(server, &library_ids[round]), second)
        };
        if round >= WARM_UP {
            library.push(first);
            direct.push(second);
        }
    }
    library.emit(
        "library",
        "library: Client::new + access_token",
        "Client::new",
        "first access_token",
    );
    direct.emit(
        "baseline",
        "ureq 3 direct: agent + 2 requests",
        "agent",
        "2 requests",
    );
    store_read(server, rounds);
}

/// The first token of a process whose identity another process already
/// cached in a file store: the entry's lock, one read, no request.
fn store_read(server: &DevServer, rounds: usize) {
    let store = std::env::temp_dir().join(format!("wi-bench-read-{}", std::process::id()));
    let setting = format!("file:{}", store.display());
    let client = server.oauth_client(&[("flow", "client_credentials"), ("token_store", &setting)]);
    client
        .access_token()
        .unwrap_or_else(|error| fail(&error.to_string()));
    let before = server.total_requests();
    let samples: Vec<f64> = (0..rounds)
        .map(|_| {
            client.clear_cache();
            let started = Instant::now();
            client
                .access_token()
                .unwrap_or_else(|error| fail(&error.to_string()));
            micros(started.elapsed())
        })
        .collect();
    if server.total_requests() != before {
        fail("the file store read went to the server");
    }
    emit(
        "cold",
        "Rust",
        "library: token_store=file, a token another process stored (lock + read)",
        "library",
        "us",
        &samples,
        json!({}),
    );
    let _ = std::fs::remove_dir_all(&store);
}

/// Times of a first token, split at the end of client (or agent) creation.
#[derive(Default)]
struct Split {
    create: Vec<f64>,
    fetch: Vec<f64>,
}

impl Split {
    fn push(&mut self, (create, fetch): (Duration, Duration)) {
        self.create.push(micros(create));
        self.fetch.push(micros(fetch));
    }

    fn emit(&self, role: &str, total_name: &str, create_name: &str, fetch_name: &str) {
        let total: Vec<f64> = self
            .create
            .iter()
            .zip(&self.fetch)
            .map(|(a, b)| a + b)
            .collect();
        emit("cold", "Rust", total_name, role, "us", &total, json!({}));
        for (part, name, samples) in [
            ("create", create_name, &self.create),
            ("fetch", fetch_name, &self.fetch),
        ] {
            let extra = json!({ "part_of": total_name, "part": part });
            emit(
                "cold",
                "Rust",
                &format!("{name} alone"),
                "part",
                "us",
                samples,
                extra,
            );
        }
    }
}

fn micros(elapsed: Duration) -> f64 {
    elapsed.as_nanos() as f64 / 1000.0
}

/// (client creation, first token) of a new client of `client_id`.
fn library_first_token(server: &DevServer, client_id: &str) -> (Duration, Duration) {
    let config = server.config(client_id);
    let started = Instant::now();
    let client =
        workload_identity::Client::new(config).unwrap_or_else(|error| fail(&error.to_string()));
    let created = Instant::now();
    let token = client
        .access_token()
        .unwrap_or_else(|error| fail(&error.to_string()));
    let done = Instant::now();
    std::hint::black_box(token.len());
    (created - started, done - created)
}

/// (agent creation, the two requests) of shared/PROTOCOL.md, with the agent
/// settings the library uses.
fn direct_first_token(server: &DevServer, client_id: &str) -> (Duration, Duration) {
    let (token_endpoint, access_token_endpoint) =
        (server.token_endpoint(), server.access_token_endpoint());
    let started = Instant::now();
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(Duration::from_secs(5)))
        .timeout_recv_response(Some(Duration::from_secs(30)))
        .timeout_recv_body(Some(Duration::from_secs(30)))
        .build()
        .new_agent();
    let created = Instant::now();
    let id_token = post_form(
        &agent,
        &token_endpoint,
        &[
            ("client_id", client_id),
            ("client_secret", SECRET),
            ("grant_type", "client_credentials"),
        ],
    );
    let access_token = post_form(
        &agent,
        &access_token_endpoint,
        &[
            ("client_id", client_id),
            ("subject_token", &id_token),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:id_token",
            ),
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
        ],
    );
    let done = Instant::now();
    std::hint::black_box(access_token.len());
    (created - started, done - created)
}

/// POSTs `fields` form-encoded and returns the `access_token` of the JSON answer.
fn post_form(agent: &ureq::Agent, url: &str, fields: &[(&str, &str)]) -> String {
    let body = fields
        .iter()
        .map(|(name, value)| format!("{}={}", form_encode(name), form_encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    let mut response = agent
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(body.as_bytes())
        .unwrap_or_else(|error| fail(&format!("POST {url}: {error}")));
    if response.status() != 200 {
        fail(&format!("POST {url}: HTTP {}", response.status()));
    }
    let bytes = response
        .body_mut()
        .read_to_vec()
        .unwrap_or_else(|error| fail(&format!("POST {url}: {error}")));
    let answer: Value =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| fail(&format!("POST {url}: not JSON")));
    match answer["access_token"].as_str() {
        Some(token) => token.to_owned(),
        None => fail(&format!("POST {url}: no access_token")),
    }
}

fn form_encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                encoded.push(byte as char)
            }
            b' ' => encoded.push('+'),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}
