//! The dev server under test (started by bench/run.sh): its endpoints, and its
//! `/_dev/` control API for registering client ids and counting requests.

use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{json, Value};
use workload_identity::{Client, Config};

/// The secret of every client id registered here (the default `dev-client`
/// keeps `dev-secret`).
pub const SECRET: &str = "bench-secret";

/// The dev server at `$WI_BENCH_URL`.
pub struct DevServer {
    base_url: String,
    agent: ureq::Agent,
}

impl DevServer {
    /// The server named by `$WI_BENCH_URL`; exits with a message without it.
    pub fn from_env() -> DevServer {
        let Ok(base_url) = std::env::var("WI_BENCH_URL") else {
            eprintln!(
                "WI_BENCH_URL is not set (e.g. http://127.0.0.1:PORT of a running wi-devserver)"
            );
            std::process::exit(2);
        };
        DevServer {
            base_url: base_url.trim_end_matches('/').to_owned(),
            agent: ureq::Agent::new_with_defaults(),
        }
    }

    /// Step 1: the client-credentials endpoint.
    pub fn token_endpoint(&self) -> String {
        format!("{}/oauth/token", self.base_url)
    }

    /// Step 2: the RFC 8693 exchange endpoint.
    pub fn access_token_endpoint(&self) -> String {
        format!("{}/oauth/exchange", self.base_url)
    }

    /// `n` new client ids (secret [`SECRET`]), registered with the server:
    /// identities whose cache is cold in this process.
    pub fn fresh_client_ids(&self, label: &str, n: usize) -> Vec<String> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let pid = std::process::id();
        let ids: Vec<String> = (0..n)
            .map(|_| format!("{label}-{pid}-{}", NEXT.fetch_add(1, Ordering::Relaxed)))
            .collect();
        let clients: Vec<[&str; 2]> = ids.iter().map(|id| [id.as_str(), SECRET]).collect();
        self.control_post("config", &json!({ "clients": clients }));
        ids
    }

    /// Protocol requests the server has answered since it started.
    pub fn total_requests(&self) -> u64 {
        let stats: Value = self
            .agent
            .get(format!("{}/_dev/stats", self.base_url))
            .call()
            .and_then(|mut response| response.body_mut().read_to_vec())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_else(|| fail("GET /_dev/stats failed"));
        stats["total"]
            .as_u64()
            .unwrap_or_else(|| fail("/_dev/stats has no total"))
    }

    /// The configuration of client `client_id` (secret [`SECRET`], or
    /// `dev-secret` for `dev-client`) against this server.
    pub fn config(&self, client_id: &str) -> Config {
        let secret = if client_id == "dev-client" {
            "dev-secret"
        } else {
            SECRET
        };
        let mut builder = Config::builder();
        for (key, value) in [
            ("client_id", client_id),
            ("client_secret", secret),
            ("token_endpoint", &self.token_endpoint()),
            ("access_token_endpoint", &self.access_token_endpoint()),
        ] {
            builder
                .set(key, value)
                .unwrap_or_else(|error| fail(&error.to_string()));
        }
        builder
            .build()
            .unwrap_or_else(|error| fail(&error.to_string()))
    }

    /// A client of `client_id` against this server.
    pub fn client(&self, client_id: &str) -> Client {
        Client::new(self.config(client_id)).unwrap_or_else(|error| fail(&error.to_string()))
    }

    /// The introspection endpoint (RFC 7662) of the OAuth side of the server.
    pub fn introspection_endpoint(&self) -> String {
        format!("{}/oauth2/introspect", self.base_url)
    }

    /// An access token of `client_id` with `scope`, issued without a protocol
    /// request (`POST /_dev/tokens`).
    pub fn issue_access_token(&self, client_id: &str, scope: &str) -> String {
        let body = json!({ "kind": "access", "client_id": client_id, "scope": scope });
        let answer: Value = self
            .agent
            .post(format!("{}/_dev/tokens", self.base_url))
            .header("Content-Type", "application/json")
            .send(body.to_string().as_bytes())
            .and_then(|mut response| response.body_mut().read_to_vec())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_else(|| fail("POST /_dev/tokens failed"));
        answer["token"]
            .as_str()
            .unwrap_or_else(|| fail("/_dev/tokens gave no token"))
            .to_owned()
    }

    /// A client of `dev-client` at the OAuth token endpoint (`/oauth2/token`)
    /// with `settings` (a flow and its options).
    pub fn oauth_client(&self, settings: &[(&str, &str)]) -> Client {
        let mut builder = Config::builder();
        let endpoint = format!("{}/oauth2/token", self.base_url);
        for (key, value) in [
            ("client_id", "dev-client"),
            ("client_secret", "dev-secret"),
            ("token_endpoint", endpoint.as_str()),
        ]
        .iter()
        .chain(settings)
        {
            builder
                .set(key, value)
                .unwrap_or_else(|error| fail(&error.to_string()));
        }
        let config = builder
            .build()
            .unwrap_or_else(|error| fail(&error.to_string()));
        Client::new(config).unwrap_or_else(|error| fail(&error.to_string()))
    }

    fn control_post(&self, route: &str, body: &Value) {
        self.agent
            .post(format!("{}/_dev/{route}", self.base_url))
            .header("Content-Type", "application/json")
            .send(body.to_string().as_bytes())
            .unwrap_or_else(|error| fail(&format!("POST /_dev/{route}: {error}")));
    }
}

/// Stops the benchmark with `message` (a setup failure: no figure would mean anything).
pub fn fail(message: &str) -> ! {
    eprintln!("wi-bench: {message}");
    std::process::exit(1);
}
