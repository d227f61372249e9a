//! Server state: clients, users, issued tokens, recorded requests, faults and settings.
//!
//! `State` is plain data; the server keeps it behind one `Mutex` and every
//! handler holds that lock for the whole (short, never sleeping) request.

use std::collections::{HashMap, VecDeque};

use serde_json::{Map, Value};

use crate::egress::{Egress, EgressInfo};
use crate::faults::Fault;
use crate::http::RecordedRequest;
use crate::keys::PublicKey;
use crate::options::Options;
use crate::skill::SkillEnv;
use crate::tokens::{Claims, TokenKind, Tokens};

/// Grants whose token answers carry a refresh token unless configured otherwise.
const DEFAULT_REFRESH_TOKEN_GRANTS: [&str; 2] = ["password", "refresh_token"];

/// A registered OAuth client.
#[derive(Clone, Debug, Default)]
pub(crate) struct Client {
    /// `None` for a public or key-only client.
    pub secret: Option<String>,
    /// Keys that verify its `private_key_jwt` assertions.
    pub keys: Vec<PublicKey>,
}

/// What token responses emit as `expires_in`.
#[derive(Clone, Debug)]
enum ExpiresIn {
    /// The current TTL in seconds.
    Ttl,
    /// This value verbatim, or no member at all for `None`.
    Fixed(Option<Value>),
}

/// Settings that `reset` restores to their start-up values.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// Lifetime of newly issued tokens in seconds.
    pub ttl_secs: u64,
    expires_in: ExpiresIn,
    /// Emitted verbatim as `refresh_in` in token responses when set.
    pub refresh_in: Option<Value>,
    /// `(name, credential)` pairs.
    pub integrations: Vec<(String, String)>,
    /// `(key, value)` pairs in server order.
    pub env_vars: Vec<(String, String)>,
    /// `grant_type`s whose answers carry a new refresh token; with `refresh_token`
    /// in it, refreshing rotates (the used refresh token dies).
    pub refresh_token_grants: Vec<String>,
    /// RFC 7591 initial access token that registration requires as Bearer, if any.
    pub registration_token: Option<String>,
    /// Served by `/skill/get_skill_envs`.
    pub skill_envs: Vec<SkillEnv>,
}

impl Settings {
    fn from_options(options: &Options) -> Settings {
        Settings {
            ttl_secs: options.ttl_secs,
            expires_in: ExpiresIn::Ttl,
            refresh_in: None,
            integrations: options.integrations.clone(),
            env_vars: options.env_vars.clone(),
            refresh_token_grants: DEFAULT_REFRESH_TOKEN_GRANTS.map(str::to_owned).to_vec(),
            registration_token: options.registration_token.clone(),
            skill_envs: options.skill_envs.clone(),
        }
    }

    /// Whether answers to `grant_type` carry a refresh token.
    pub fn issues_refresh_token(&self, grant_type: &str) -> bool {
        self.refresh_token_grants.iter().any(|g| g == grant_type)
    }

    /// Sets the emitted `expires_in`: a value verbatim, or `None` to omit it.
    pub fn set_expires_in(&mut self, value: Option<Value>) {
        self.expires_in = ExpiresIn::Fixed(value);
    }

    /// Adds or replaces an integration credential.
    pub fn set_integration(&mut self, name: String, credential: String) {
        match self.integrations.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = credential,
            None => self.integrations.push((name, credential)),
        }
    }

    /// The `expires_in` and `refresh_in` members of a token response.
    pub fn lifetime_members(&self, response: &mut Map<String, Value>) {
        let expires_in = match &self.expires_in {
            ExpiresIn::Ttl => Some(Value::from(self.ttl_secs)),
            ExpiresIn::Fixed(value) => value.clone(),
        };
        if let Some(value) = expires_in {
            response.insert("expires_in".to_owned(), value);
        }
        if let Some(value) = &self.refresh_in {
            response.insert("refresh_in".to_owned(), value.clone());
        }
    }
}

/// Where [`State::record`] put a request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RecordSlot {
    index: usize,
    resets: u64,
}

/// Everything the server remembers; see the module docs for locking.
pub(crate) struct State {
    defaults: Options,
    /// `http://127.0.0.1:PORT`: the issuer, and the base of every endpoint URL.
    pub base_url: String,
    clients: HashMap<String, Client>,
    users: HashMap<String, String>,
    /// Issued tokens.
    pub tokens: Tokens,
    /// `jti` of every client assertion accepted, with its `exp` (Unix seconds).
    pub seen_assertions: HashMap<String, u64>,
    /// Current overridable settings.
    pub settings: Settings,
    /// Protocol requests in arrival order.
    pub requests: Vec<RecordedRequest>,
    /// Bumped by every `reset`, so that an answer does not land on a request
    /// recorded after the one it answers.
    resets: u64,
    /// Pending faults, FIFO.
    pub faults: VecDeque<Fault>,
    /// The egress test rig, once started (kept by `reset`).
    pub egress: Option<Egress>,
}

impl State {
    /// Fresh state from the start-up options, for a server at `base_url`.
    ///
    /// Fails when a key in `options.client_keys` does not parse.
    pub fn new(options: &Options, base_url: String) -> Result<State, String> {
        let mut state = State {
            defaults: options.clone(),
            base_url,
            clients: HashMap::new(),
            users: options.users.iter().cloned().collect(),
            tokens: Tokens::default(),
            seen_assertions: HashMap::new(),
            settings: Settings::from_options(options),
            requests: Vec::new(),
            resets: 0,
            faults: VecDeque::new(),
            egress: None,
        };
        for (client_id, secret) in &options.clients {
            state.add_client(client_id.clone(), secret.clone());
        }
        for (client_id, key) in &options.client_keys {
            let keys = crate::keys::parse_keys(key)
                .map_err(|e| format!("key of client {client_id}: {e}"))?;
            state.add_client_keys(client_id, keys);
        }
        Ok(state)
    }

    /// Clears requests and faults and restores settings; keeps clients, users and tokens.
    pub fn reset(&mut self) {
        self.requests.clear();
        self.resets += 1;
        self.faults.clear();
        self.settings = Settings::from_options(&self.defaults);
    }

    /// Records a protocol request; the slot is where its status goes once answered.
    pub fn record(&mut self, request: RecordedRequest) -> RecordSlot {
        self.requests.push(request);
        RecordSlot {
            index: self.requests.len() - 1,
            resets: self.resets,
        }
    }

    /// Notes the status answered to the request recorded in `slot` (unless a
    /// reset has cleared it since).
    pub fn answered(&mut self, slot: RecordSlot, status: u16) {
        if slot.resets == self.resets {
            if let Some(request) = self.requests.get_mut(slot.index) {
                request.status = Some(status);
            }
        }
    }

    /// Adds a client or replaces its secret; an empty secret makes it public.
    pub fn add_client(&mut self, client_id: String, secret: String) {
        let secret = Some(secret).filter(|secret| !secret.is_empty());
        self.clients.entry(client_id).or_default().secret = secret;
    }

    /// Adds keys to a client, registering it (without a secret) if it is new.
    pub fn add_client_keys(&mut self, client_id: &str, keys: Vec<PublicKey>) {
        let client = self.clients.entry(client_id.to_owned()).or_default();
        client.keys.extend(keys);
    }

    /// A registered client.
    pub fn client(&self, client_id: &str) -> Option<&Client> {
        self.clients.get(client_id)
    }

    /// Adds a user for the password grant, or changes their password.
    pub fn add_user(&mut self, username: String, password: String) {
        self.users.insert(username, password);
    }

    /// Whether `username` exists with this `password`.
    pub fn user_matches(&self, username: &str, password: &str) -> bool {
        self.users
            .get(username)
            .is_some_and(|known| known == password)
    }

    /// Issues a token of `kind` to `client_id` in a new family (the Coze steps).
    pub fn issue(&mut self, kind: TokenKind, client_id: &str) -> String {
        let claims = Claims {
            client_id: client_id.to_owned(),
            subject: client_id.to_owned(),
            family: self.tokens.new_family(),
            ..Claims::default()
        };
        self.issue_with(kind, claims)
    }

    /// Issues a token of `kind` for `claims`, valid for the current TTL.
    pub fn issue_with(&mut self, kind: TokenKind, claims: Claims) -> String {
        self.tokens.issue(kind, claims, self.settings.ttl_secs)
    }

    /// The client owning `value` if it is a live token of `kind` issued here.
    pub fn token_client(&self, value: &str, kind: TokenKind) -> Option<&str> {
        self.tokens
            .live(value)
            .filter(|token| token.kind == kind)
            .map(|token| token.claims.client_id.as_str())
    }

    /// Starts the egress rig with `ticket`, or gives the running one that ticket.
    pub fn egress(&mut self, ticket: &str) -> std::io::Result<EgressInfo> {
        match &self.egress {
            Some(egress) => egress.set_ticket(ticket),
            None => self.egress = Some(Egress::start(ticket)?),
        }
        Ok(self
            .egress
            .as_ref()
            .map(Egress::info)
            .unwrap_or_else(|| unreachable!()))
    }

    /// Forgets every issued token.
    pub fn revoke_tokens(&mut self) {
        self.tokens.clear();
    }
}
