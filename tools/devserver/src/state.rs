//! Server state: clients, issued tokens, recorded requests, faults and settings.
//!
//! `State` is plain data; the server keeps it behind one `Mutex` and every
//! handler holds that lock for the whole (short, never sleeping) request.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::egress::{Egress, EgressInfo};
use crate::encoding::random_hex32;
use crate::faults::Fault;
use crate::http::RecordedRequest;
use crate::options::Options;
use crate::skill::SkillEnv;

/// Which step issued a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// Step 1 ID token, prefix `idt_`.
    Id,
    /// Step 2 access token, prefix `at_`.
    Access,
}

struct Token {
    kind: TokenKind,
    client_id: String,
    /// `None` when the TTL is too large to represent: never expires.
    expires_at: Option<Instant>,
}

impl Token {
    fn is_live(&self, now: Instant) -> bool {
        match self.expires_at {
            Some(at) => at > now,
            None => true,
        }
    }
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
            skill_envs: options.skill_envs.clone(),
        }
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

/// Everything the server remembers; see the module docs for locking.
pub(crate) struct State {
    defaults: Options,
    clients: HashMap<String, String>,
    tokens: HashMap<String, Token>,
    /// Current overridable settings.
    pub settings: Settings,
    /// Protocol requests in arrival order.
    pub requests: Vec<RecordedRequest>,
    /// Pending faults, FIFO.
    pub faults: VecDeque<Fault>,
    /// The egress test rig, once started (kept by `reset`).
    pub egress: Option<Egress>,
}

impl State {
    /// Fresh state from the start-up options.
    pub fn new(options: &Options) -> State {
        State {
            defaults: options.clone(),
            clients: options.clients.iter().cloned().collect(),
            tokens: HashMap::new(),
            settings: Settings::from_options(options),
            requests: Vec::new(),
            faults: VecDeque::new(),
            egress: None,
        }
    }

    /// Clears requests and faults and restores settings; keeps clients and tokens.
    pub fn reset(&mut self) {
        self.requests.clear();
        self.faults.clear();
        self.settings = Settings::from_options(&self.defaults);
    }

    /// Adds a client or replaces its secret.
    pub fn add_client(&mut self, client_id: String, secret: String) {
        self.clients.insert(client_id, secret);
    }

    /// The secret of a registered client.
    pub fn client_secret(&self, client_id: &str) -> Option<&str> {
        self.clients.get(client_id).map(String::as_str)
    }

    /// Issues a token of `kind` to `client_id`, valid for the current TTL.
    pub fn issue(&mut self, kind: TokenKind, client_id: &str) -> String {
        let now = Instant::now();
        self.tokens.retain(|_, token| token.is_live(now));
        let prefix = match kind {
            TokenKind::Id => "idt_",
            TokenKind::Access => "at_",
        };
        let value = format!("{prefix}{}", random_hex32());
        let token = Token {
            kind,
            client_id: client_id.to_owned(),
            expires_at: now.checked_add(Duration::from_secs(self.settings.ttl_secs)),
        };
        self.tokens.insert(value.clone(), token);
        value
    }

    /// The client owning `value` if it is an unexpired token of `kind` issued here.
    pub fn token_client(&self, value: &str, kind: TokenKind) -> Option<&str> {
        self.tokens
            .get(value)
            .filter(|token| token.kind == kind && token.is_live(Instant::now()))
            .map(|token| token.client_id.as_str())
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
