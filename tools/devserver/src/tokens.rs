//! Issued tokens: what each one stands for, how long it lives, and grant families.
//!
//! Plain data inside [`State`](crate::state::State), behind its lock. Every
//! token of one grant (a password login, then each refresh) shares a family
//! number, so that revoking a refresh token revokes the whole grant (RFC 7009
//! section 2.1).

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use crate::encoding::random_hex32;

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// Coze step 1 ID token, prefix `idt_`.
    Id,
    /// Access token, prefix `at_`.
    Access,
    /// Refresh token, prefix `rt_`; never expires, used at most once when rotation is on.
    Refresh,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Id => "idt_",
            TokenKind::Access => "at_",
            TokenKind::Refresh => "rt_",
        }
    }
}

/// Who and what a token was issued for; reported by introspection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Claims {
    /// The client the token was issued to.
    pub client_id: String,
    /// The resource owner: the user of a password grant, else the client (or the
    /// subject of an exchanged token).
    pub subject: String,
    /// The user of a password grant.
    pub username: Option<String>,
    /// Space-separated scope, when one was requested.
    pub scope: Option<String>,
    /// `audience` and `resource` values of the request, in order.
    pub audience: Vec<String>,
    /// RFC 8693 actor (`act.sub`) of a delegated token.
    pub actor: Option<String>,
    /// Grant family; see the module docs.
    pub family: u64,
}

/// One issued token.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub claims: Claims,
    issued_at_unix: u64,
    /// `None` when the lifetime is too large to represent, or for refresh tokens: never expires.
    expires_at: Option<(Instant, u64)>,
}

impl Token {
    fn is_live(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|(at, _)| at > now)
    }

    /// The RFC 7662 answer for this (live) token, issued by `issuer`.
    pub fn introspection(&self, issuer: &str) -> Value {
        let claims = &self.claims;
        let mut body = Map::new();
        body.insert("active".to_owned(), true.into());
        body.insert("client_id".to_owned(), claims.client_id.clone().into());
        body.insert("sub".to_owned(), claims.subject.clone().into());
        body.insert("iss".to_owned(), issuer.into());
        body.insert("iat".to_owned(), self.issued_at_unix.into());
        if let Some((_, exp)) = self.expires_at {
            body.insert("exp".to_owned(), exp.into());
        }
        let token_type = match self.kind {
            TokenKind::Access => Some("Bearer"),
            TokenKind::Refresh => Some("refresh_token"),
            TokenKind::Id => None,
        };
        if let Some(token_type) = token_type {
            body.insert("token_type".to_owned(), token_type.into());
        }
        if let Some(username) = &claims.username {
            body.insert("username".to_owned(), username.clone().into());
        }
        if let Some(scope) = &claims.scope {
            body.insert("scope".to_owned(), scope.clone().into());
        }
        match claims.audience.as_slice() {
            [] => {}
            [one] => {
                body.insert("aud".to_owned(), one.clone().into());
            }
            many => {
                body.insert("aud".to_owned(), many.into());
            }
        }
        if let Some(actor) = &claims.actor {
            body.insert("act".to_owned(), json!({ "sub": actor }));
        }
        Value::Object(body)
    }
}

/// Every token issued and not yet forgotten.
#[derive(Default)]
pub(crate) struct Tokens {
    by_value: HashMap<String, Token>,
    last_family: u64,
}

impl Tokens {
    /// A family number not used before.
    pub fn new_family(&mut self) -> u64 {
        self.last_family += 1;
        self.last_family
    }

    /// Issues a token of `kind`; access and ID tokens live `ttl_secs`.
    pub fn issue(&mut self, kind: TokenKind, claims: Claims, ttl_secs: u64) -> String {
        let now = Instant::now();
        self.by_value.retain(|_, token| token.is_live(now));
        let issued_at_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        let expires_at = match kind {
            TokenKind::Refresh => None,
            TokenKind::Id | TokenKind::Access => now
                .checked_add(Duration::from_secs(ttl_secs))
                .zip(issued_at_unix.checked_add(ttl_secs)),
        };
        let value = format!("{}{}", kind.prefix(), random_hex32());
        let token = Token {
            kind,
            claims,
            issued_at_unix,
            expires_at,
        };
        self.by_value.insert(value.clone(), token);
        value
    }

    /// The token `value` if it was issued here and is still live.
    pub fn live(&self, value: &str) -> Option<&Token> {
        self.by_value
            .get(value)
            .filter(|token| token.is_live(Instant::now()))
    }

    /// Forgets `value`; a refresh token takes its whole family with it. Whether it was known.
    pub fn revoke(&mut self, value: &str) -> bool {
        match self.by_value.remove(value) {
            Some(token) if token.kind == TokenKind::Refresh => {
                let family = token.claims.family;
                self.by_value
                    .retain(|_, other| other.claims.family != family);
                true
            }
            Some(_) => true,
            None => false,
        }
    }

    /// Forgets `value` only (a refresh token used once under rotation).
    pub fn consume(&mut self, value: &str) {
        self.by_value.remove(value);
    }

    /// Forgets every token.
    pub fn clear(&mut self) {
        self.by_value.clear();
    }
}
