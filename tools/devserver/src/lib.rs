//! A local identity server speaking the Coze workload-identity protocol and
//! OAuth 2.0, for tests.
//!
//! [`DevServer::start`] binds 127.0.0.1 and serves, one thread per request:
//! the Coze steps `POST /oauth/token` (client credentials → ID token) and
//! `POST /oauth/exchange` (RFC 8693 token exchange → access token),
//! `POST /outbound/integration` and `GET /outbound/env`; and an OAuth
//! authorization server: `POST /oauth2/token` (client credentials, password,
//! refresh token with rotation, token exchange), `/oauth2/introspect`
//! (RFC 7662), `/oauth2/revoke` (RFC 7009), `/oauth2/register` (RFC 7591)
//! and RFC 8414 / OpenID discovery, each with every client authentication
//! (secret in Basic or the form, `private_key_jwt`, `none`). It records every
//! protocol request, injects queued [`Fault`]s, and can be driven over HTTP
//! through the `/_dev/` control API. [`run_cli`] is the `wi-devserver`
//! command line. See `README.md`.
#![deny(missing_docs)]

mod assertion;
mod cli;
mod client_auth;
mod control;
mod discovery;
mod egress;
mod encoding;
mod faults;
mod form;
mod grants;
mod http;
mod introspection;
mod keys;
mod nudge;
mod oauth;
mod options;
mod outbound;
mod registration;
mod revocation;
mod server;
mod skill;
mod state;
mod tokens;

use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use serde_json::Value;

pub use cli::run_cli;
pub use egress::EgressInfo;
pub use faults::{Fault, FaultKind};
pub use http::RecordedRequest;
pub use keys::{parse_keys, PublicKey};
pub use options::Options;
use server::Shared;
pub use skill::SkillEnv;
use tokens::{Claims, TokenKind};

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
    ///
    /// Fails with [`io::ErrorKind::InvalidInput`] when a key in
    /// `options.client_keys` does not parse.
    pub fn start(options: Options) -> io::Result<DevServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, options.port))?;
        let port = listener.local_addr()?.port();
        let base_url = format!("http://127.0.0.1:{port}");
        let shared = Shared::new(&options, base_url)
            .map_err(|message| io::Error::new(io::ErrorKind::InvalidInput, message))?;
        let shared = Arc::new(shared);
        let server =
            Arc::new(tiny_http::Server::from_listener(listener, None).map_err(io::Error::other)?);
        let serving = {
            let (server, shared) = (Arc::clone(&server), Arc::clone(&shared));
            thread::Builder::new()
                .name("wi-devserver".to_owned())
                .spawn(move || server::serve(&server, &shared, port))?
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

    /// The OAuth issuer (RFC 8414): the base URL. Any path appended to it is an
    /// issuer too, with the same endpoints.
    pub fn issuer(&self) -> String {
        self.base_url()
    }

    /// The OAuth token endpoint of every grant: base URL + `/oauth2/token`.
    pub fn oauth_token_endpoint(&self) -> String {
        self.base_url() + "/oauth2/token"
    }

    /// RFC 7662: base URL + `/oauth2/introspect`.
    pub fn introspection_endpoint(&self) -> String {
        self.base_url() + "/oauth2/introspect"
    }

    /// RFC 7009: base URL + `/oauth2/revoke`.
    pub fn revocation_endpoint(&self) -> String {
        self.base_url() + "/oauth2/revoke"
    }

    /// RFC 7591: base URL + `/oauth2/register`.
    pub fn registration_endpoint(&self) -> String {
        self.base_url() + "/oauth2/register"
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
    /// TTL, `expires_in`, `refresh_in`, integrations, env vars, registration
    /// token and refresh-token grants. Clients, keys, users and issued tokens are kept.
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

    /// Registers a client, or changes the secret of an existing one; an empty
    /// secret makes it public (`none`) or key-only.
    pub fn add_client(&self, client_id: &str, secret: &str) {
        self.shared
            .state()
            .add_client(client_id.to_owned(), secret.to_owned());
    }

    /// Registers public keys for a client's `private_key_jwt` assertions (a JWK,
    /// a JWK Set or a PEM public key), registering the client without a secret
    /// if it is new. Errors say why the key text does not parse.
    pub fn add_client_key(&self, client_id: &str, key: &str) -> Result<(), String> {
        let keys = parse_keys(key)?;
        self.shared.state().add_client_keys(client_id, keys);
        Ok(())
    }

    /// Adds a user of the password grant, or changes their password.
    pub fn add_user(&self, username: &str, password: &str) {
        self.shared
            .state()
            .add_user(username.to_owned(), password.to_owned());
    }

    /// Requires this RFC 7591 initial access token (as Bearer) for registration;
    /// `None` opens registration. [`reset`](Self::reset) restores the start-up value.
    pub fn set_registration_token(&self, token: Option<&str>) {
        self.shared.state().settings.registration_token = token.map(str::to_owned);
    }

    /// The `grant_type`s whose answers carry a new refresh token (default
    /// `password` and `refresh_token`; without `refresh_token`, refreshing does
    /// not rotate). [`reset`](Self::reset) restores the default.
    pub fn set_refresh_token_grants(&self, grant_types: &[&str]) {
        self.shared.state().settings.refresh_token_grants =
            grant_types.iter().map(|g| (*g).to_owned()).collect();
    }

    /// Issues a refresh token to `client_id` (for `scope`, if given) without a
    /// protocol request: the starting point of a refresh-token flow test.
    pub fn issue_refresh_token(&self, client_id: &str, scope: Option<&str>) -> String {
        self.issue_token(TokenKind::Refresh, client_id, scope)
    }

    /// Issues an access token to `client_id` (for `scope`, if given) without a
    /// protocol request, e.g. to introspect or to use as a subject token.
    pub fn issue_access_token(&self, client_id: &str, scope: Option<&str>) -> String {
        self.issue_token(TokenKind::Access, client_id, scope)
    }

    /// Issues an access token of user `subject` (its `sub`), issued to
    /// `client_id`, without a protocol request: the user token of a
    /// delegation test (RFC 8693 subject token).
    pub fn issue_user_token(&self, client_id: &str, subject: &str) -> String {
        let mut state = self.shared.state();
        let claims = Claims {
            client_id: client_id.to_owned(),
            subject: subject.to_owned(),
            family: state.tokens.new_family(),
            ..Claims::default()
        };
        state.issue_with(TokenKind::Access, claims)
    }

    /// The `sub` and the actor's `act.sub` of a live token issued here (the
    /// user and the workload of a delegated token); `None` for a token that
    /// is not live.
    pub fn token_subject(&self, token: &str) -> Option<(String, Option<String>)> {
        let state = self.shared.state();
        let found = state.tokens.live(token)?;
        Some((found.claims.subject.clone(), found.claims.actor.clone()))
    }

    fn issue_token(&self, kind: TokenKind, client_id: &str, scope: Option<&str>) -> String {
        let mut state = self.shared.state();
        let claims = Claims {
            client_id: client_id.to_owned(),
            subject: client_id.to_owned(),
            scope: scope.map(str::to_owned),
            family: state.tokens.new_family(),
            ..Claims::default()
        };
        state.issue_with(kind, claims)
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
