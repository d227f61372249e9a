//! Start-up configuration of a [`DevServer`](crate::DevServer).

use crate::skill::SkillEnv;

/// How a [`DevServer`](crate::DevServer) starts; plain data, cloned into the server.
///
/// [`DevServer::reset`](crate::DevServer::reset) restores `ttl_secs`,
/// `integrations`, `env_vars`, `registration_token` and `skill_envs` to these values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Port on 127.0.0.1; `0` picks a free ephemeral port.
    pub port: u16,
    /// Lifetime of issued tokens and the default `expires_in`, in seconds.
    pub ttl_secs: u64,
    /// Registered OAuth clients as `(client_id, client_secret)`; an empty secret
    /// makes a public client (`none` authentication only, or keys).
    pub clients: Vec<(String, String)>,
    /// Public keys of `private_key_jwt` clients as `(client_id, key)`, the key a
    /// JWK, a JWK Set or a PEM public key (see `README.md`); a client not in
    /// `clients` is registered without a secret.
    pub client_keys: Vec<(String, String)>,
    /// Resource owners of the password grant as `(username, password)`.
    pub users: Vec<(String, String)>,
    /// RFC 7591 initial access token that registration then requires as Bearer.
    pub registration_token: Option<String>,
    /// Integration credentials served by `/outbound/integration`, as `(name, credential)`.
    pub integrations: Vec<(String, String)>,
    /// Environment variables served by `/outbound/env`, as `(key, value)`, in order.
    pub env_vars: Vec<(String, String)>,
    /// Skill environments served by `/skill/get_skill_envs`.
    pub skill_envs: Vec<SkillEnv>,
    /// Print `METHOD PATH STATUS` to stdout for every request (never tokens or secrets).
    pub log_requests: bool,
}

impl Default for Options {
    /// Ephemeral port, one-hour tokens, client `dev-client`/`dev-secret`, no
    /// client keys, user `dev-user`/`dev-password`, open registration,
    /// integrations `github` and `slack`, three environment variables, the
    /// skill environment of agent `7001`, skill `42` (PAT token
    /// `dev-pat-token`: `SKILL_API_KEY`, `SKILL_REGION`), no log.
    fn default() -> Self {
        Options {
            port: 0,
            ttl_secs: 3600,
            clients: pairs(&[("dev-client", "dev-secret")]),
            client_keys: Vec::new(),
            users: pairs(&[("dev-user", "dev-password")]),
            registration_token: None,
            integrations: pairs(&[
                ("github", "ghp_dev_github_credential"),
                ("slack", "xoxb-dev-slack-credential"),
            ]),
            env_vars: pairs(&[
                ("DATABASE_URL", "postgres://dev:dev@127.0.0.1/dev"),
                ("FEATURE_FLAG", "on"),
                ("GREETING", "héllo wörld"),
            ]),
            skill_envs: vec![SkillEnv {
                agent_id: "7001".into(),
                skill_id: "42".into(),
                pat_token: "dev-pat-token".into(),
                envs: pairs(&[
                    ("SKILL_API_KEY", "sk-dev-skill-key"),
                    ("SKILL_REGION", "cn-north"),
                ]),
            }],
            log_requests: false,
        }
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}
