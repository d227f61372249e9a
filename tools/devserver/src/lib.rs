//! A local identity server speaking the Coze workload-identity protocol, for tests.
//!
//! [`DevServer::start`] binds 127.0.0.1 and serves, one thread per request:
//! `POST /oauth/token` (client credentials → ID token), `POST /oauth/exchange`
//! (RFC 8693 token exchange → access token), `POST /outbound/integration` and
//! `GET /outbound/env`. It records every protocol request, injects queued
//! [`Fault`]s, and can be driven over HTTP through the `/_dev/` control API.
//! [`run_cli`] is the `wi-devserver` command line. See `README.md`.
#![deny(missing_docs)]

mod cli;
mod control;
mod egress;
mod encoding;
mod faults;
mod http;
mod oauth;
mod options;
mod outbound;
mod server;
mod skill;
mod state;

use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use serde_json::Value;

pub use cli::run_cli;
pub use egress::EgressInfo;
pub use faults::{Fault, FaultKind};
pub use http::RecordedRequest;
pub use options::Options;
use server::Shared;
pub use skill::SkillEnv;

/// A running server; dropping it (or [`DevServer::stop`]) stops it and joins its threads.
///
/// All methods take `&self` and are thread-safe: share it by reference or in an `Arc`.
pub struct DevServer {
    port: u16,
    shared: Arc<Shared>,
    server: Arc<tiny_http::Server>,
    serving: Option<JoinHandle<()>>,
}

impl DevServer {
    /// Binds `127.0.0.1:options.port` and starts serving in background threads.
    pub fn start(options: Options) -> io::Result<DevServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, options.port))?;
        let port = listener.local_addr()?.port();
        let server =
            Arc::new(tiny_http::Server::from_listener(listener, None).map_err(io::Error::other)?);
        let shared = Arc::new(Shared::new(&options));
        let serving = {
            let (server, shared) = (Arc::clone(&server), Arc::clone(&shared));
            thread::Builder::new()
                .name("wi-devserver".to_owned())
                .spawn(move || server::serve(&server, &shared))?
        };
        Ok(DevServer {
            port,
            shared,
            server,
            serving: Some(serving),
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Step 1 URL: base URL + `/oauth/token`.
    pub fn token_endpoint(&self) -> String {
        self.base_url() + "/oauth/token"
    }

    /// Step 2 URL: base URL + `/oauth/exchange`.
    pub fn access_token_endpoint(&self) -> String {
        self.base_url() + "/oauth/exchange"
    }

    /// Outbound-auth base URL: base URL + `/outbound`.
    pub fn outbound_auth_endpoint(&self) -> String {
        self.base_url() + "/outbound"
    }

    /// Every protocol request received since start or [`reset`](Self::reset), in order
    /// (control requests excluded).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.state().requests.clone()
    }

    /// How many recorded requests had exactly this `path`.
    pub fn request_count(&self, path: &str) -> usize {
        let state = self.shared.state();
        state.requests.iter().filter(|r| r.path == path).count()
    }

    /// Clears recorded requests and pending faults and restores the start-up
    /// TTL, `expires_in`, `refresh_in`, integrations and env vars. Clients and
    /// issued tokens are kept.
    pub fn reset(&self) {
        self.shared.state().reset();
    }

    /// Queues a fault; faults are consumed in FIFO order by matching requests.
    pub fn push_fault(&self, fault: Fault) {
        self.shared.state().faults.push_back(fault);
    }

    /// Lifetime of tokens issued from now on; also the default `expires_in`.
    pub fn set_ttl(&self, secs: u64) {
        self.shared.state().settings.ttl_secs = secs;
    }

    /// Emits `value` verbatim as `expires_in` in token responses; `None` omits the member.
    /// [`reset`](Self::reset) goes back to emitting the TTL.
    pub fn set_expires_in(&self, value: Option<Value>) {
        self.shared.state().settings.set_expires_in(value);
    }

    /// Emits `value` verbatim as `refresh_in` in token responses; `None` (the default) omits it.
    pub fn set_refresh_in(&self, value: Option<Value>) {
        self.shared.state().settings.refresh_in = value;
    }

    /// Registers a client, or changes the secret of an existing one.
    pub fn add_client(&self, client_id: &str, secret: &str) {
        self.shared
            .state()
            .add_client(client_id.to_owned(), secret.to_owned());
    }

    /// Adds or replaces an integration credential.
    pub fn set_integration(&self, name: &str, credential: &str) {
        let mut state = self.shared.state();
        state
            .settings
            .set_integration(name.to_owned(), credential.to_owned());
    }

    /// Replaces the environment variables served by `/outbound/env`.
    pub fn set_env_vars(&self, vars: Vec<(String, String)>) {
        self.shared.state().settings.env_vars = vars;
    }

    /// Starts the egress test rig (an authenticating CONNECT proxy accepting
    /// user `space` with password `ticket`, and an HTTPS target with a test CA)
    /// or, when it runs, makes it accept `ticket` instead. Returns its URLs,
    /// CA and counters.
    pub fn egress(&self, ticket: &str) -> io::Result<EgressInfo> {
        self.shared.state().egress(ticket)
    }

    /// The egress rig's URLs, CA and counters, if it was started.
    pub fn egress_info(&self) -> Option<EgressInfo> {
        self.shared
            .state()
            .egress
            .as_ref()
            .map(|egress| egress.info())
    }

    /// Replaces the skill environments served by `/skill/get_skill_envs`.
    pub fn set_skill_envs(&self, skill_envs: Vec<SkillEnv>) {
        self.shared.state().settings.skill_envs = skill_envs;
    }

    /// `/skill/get_skill_envs`: the value for `COZE_SKILL_ENV_ENDPOINT`.
    pub fn skill_env_endpoint(&self) -> String {
        self.base_url() + "/skill/get_skill_envs"
    }

    /// Invalidates every token issued so far (they then fail as unknown).
    pub fn revoke_tokens(&self) {
        self.shared.state().revoke_tokens();
    }

    /// Stops serving and joins the threads; same as dropping.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        self.shared.stop();
        self.server.unblock();
        if let Some(serving) = self.serving.take() {
            // A panicked request thread has already answered 500; nothing to add.
            let _ = serving.join();
        }
    }
}
