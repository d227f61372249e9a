//! Authenticated egress: the settings of Coze's outbound proxy (shared/PROTOCOL.md,
//! "The outbound auth proxy and skill environment").
//!
//! - The proxy URL is `COZE_SKILL_PROXY_DOMAIN`, else `COZE_OUTBOUND_AUTH_PROXY`,
//!   with the credentials `space` : `identity_ticket` (form-encoded) replacing
//!   any userinfo it has. The result holds the ticket: it is a [`SecretString`],
//!   and only [`mask_url_credentials`]'s form may be shown.
//! - The CA bundle is `COZE_OUTBOUND_AUTH_PROXY_CA` (PEM content, written to a
//!   private temporary file, see `ca_file`), else `COZE_OUTBOUND_AUTH_PROXY_CA_PATH`
//!   (which must exist), else none.
//!
//! An empty variable counts as unset, as in the Coze SDK. Every function reads
//! the environment at each call (the skill environment may set these variables
//! later) and is thread-safe.

use std::path::{Path, PathBuf};

use crate::ca_file;
use crate::error::Error;
use crate::protocol::form_encode;
use crate::secret::SecretString;

/// The preferred proxy URL variable.
pub const COZE_SKILL_PROXY_DOMAIN: &str = "COZE_SKILL_PROXY_DOMAIN";
/// The proxy URL variable used when `COZE_SKILL_PROXY_DOMAIN` is unset.
pub const COZE_OUTBOUND_AUTH_PROXY: &str = "COZE_OUTBOUND_AUTH_PROXY";
/// The proxy's CA certificates, as PEM content.
pub const COZE_OUTBOUND_AUTH_PROXY_CA: &str = "COZE_OUTBOUND_AUTH_PROXY_CA";
/// The path of a PEM file of the proxy's CA certificates.
pub const COZE_OUTBOUND_AUTH_PROXY_CA_PATH: &str = "COZE_OUTBOUND_AUTH_PROXY_CA_PATH";
/// The workload's identity ticket: the proxy password.
pub const IDENTITY_TICKET: &str = "identity_ticket";
/// The proxy user name.
const PROXY_USER: &str = "space";

/// A lookup of one environment variable: `Ok(None)` when unset or empty.
pub(crate) type EnvLookup<'a> = &'a dyn Fn(&str) -> Result<Option<String>, Error>;

/// The process environment; a value that is not UTF-8 is a configuration error naming it.
pub(crate) fn process_env(name: &str) -> Result<Option<String>, Error> {
    match std::env::var(name) {
        Ok(value) if value.is_empty() => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Error::configuration(format!("{name} is not valid UTF-8")))
        }
    }
}

/// Both settings of the outbound proxy. Immutable; `Send + Sync`.
///
/// `Debug` shows the URL masked.
#[derive(Clone)]
pub struct OutboundProxy {
    url: SecretString,
    ca_bundle_path: Option<PathBuf>,
}

impl OutboundProxy {
    /// Reads both settings from the process environment (the first error wins:
    /// the proxy URL's, then the CA bundle's).
    pub fn from_env() -> Result<OutboundProxy, Error> {
        Ok(OutboundProxy {
            url: proxy_url_with(&process_env)?,
            ca_bundle_path: ca_bundle_path_with(&process_env)?,
        })
    }

    /// The proxy URL with the credentials: a secret, never to be logged.
    pub fn url(&self) -> &SecretString {
        &self.url
    }

    /// The proxy URL with the password replaced by `***`, fit for display.
    pub fn masked_url(&self) -> String {
        mask_url_credentials(self.url.expose())
    }

    /// The CA bundle file, or `None` when no CA is configured.
    pub fn ca_bundle_path(&self) -> Option<&Path> {
        self.ca_bundle_path.as_deref()
    }

    /// Whether the CA bundle file was written from `COZE_OUTBOUND_AUTH_PROXY_CA`
    /// content by this process, which removes it when it exits: its path is
    /// no use to another process.
    pub fn ca_bundle_removed_at_exit(&self) -> bool {
        self.ca_bundle_path
            .as_deref()
            .is_some_and(ca_file::removed_at_exit)
    }
}

impl std::fmt::Debug for OutboundProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundProxy")
            .field("url", &self.masked_url())
            .field("ca_bundle_path", &self.ca_bundle_path)
            .finish()
    }
}

/// The proxy URL with its credentials, from the process environment (the Coze
/// SDK's `HttpsProxy()`).
///
/// Errors (all [`crate::ErrorKind::Configuration`]): neither proxy variable
/// set; `identity_ticket` unset; a URL that is not http(s) (the message shows
/// it with its credentials masked).
pub fn outbound_proxy_url() -> Result<SecretString, Error> {
    proxy_url_with(&process_env)
}

/// The CA bundle path of the outbound proxy, from the process environment (the
/// Coze SDK's `CaBundlePath()`); `None` when no CA is configured.
///
/// `COZE_OUTBOUND_AUTH_PROXY_CA` is written once per process (and per content)
/// to a file readable by this user only, removed when the process exits.
/// Errors ([`crate::ErrorKind::Configuration`]): `COZE_OUTBOUND_AUTH_PROXY_CA_PATH`
/// names a path that does not exist; the CA file cannot be written.
pub fn outbound_ca_bundle_path() -> Result<Option<PathBuf>, Error> {
    ca_bundle_path_with(&process_env)
}

pub(crate) fn proxy_url_with(env: EnvLookup<'_>) -> Result<SecretString, Error> {
    let (variable, raw) = match env(COZE_SKILL_PROXY_DOMAIN)? {
        Some(url) => (COZE_SKILL_PROXY_DOMAIN, url),
        None => match env(COZE_OUTBOUND_AUTH_PROXY)? {
            Some(url) => (COZE_OUTBOUND_AUTH_PROXY, url),
            None => {
                return Err(Error::configuration(
                    "Neither COZE_SKILL_PROXY_DOMAIN nor COZE_OUTBOUND_AUTH_PROXY environment \
                     variable is configured. Please set one of them to configure the HTTPS proxy.",
                ))
            }
        },
    };
    let raw = SecretString::new(raw);
    let Some(ticket) = env(IDENTITY_TICKET)?.map(SecretString::new) else {
        return Err(Error::configuration(
            "identity_ticket environment variable is not configured. This variable is \
             required for proxy authentication credentials.",
        ));
    };
    with_credentials(raw.expose(), &ticket).map_err(|why| {
        Error::configuration(format!(
            "{variable} is not usable as a proxy URL ({why}): {}",
            mask_url_credentials(raw.expose())
        ))
    })
}

/// `url` with its userinfo replaced by `space:<form-encoded ticket>`; the rest
/// (scheme lower-cased, host, port, path) kept as written.
fn with_credentials(url: &str, ticket: &SecretString) -> Result<SecretString, &'static str> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains whitespace or control characters");
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or("it is not an http or https URL")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err("it is not an http or https URL");
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host = authority.rsplit('@').next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return Err("it has no host");
    }
    let password = form_encode(&[("", ticket.expose())]);
    // form_encode output is ASCII; skip the "=" of the empty key.
    let password = String::from_utf8_lossy(&password[1..]);
    let mut out = String::with_capacity(url.len() + password.len() + 8);
    out.push_str(&scheme);
    out.push_str("://");
    out.push_str(PROXY_USER);
    out.push(':');
    out.push_str(&password);
    out.push('@');
    out.push_str(host);
    out.push_str(tail);
    Ok(SecretString::new(out))
}

/// `url` with any password replaced by `***` (`http://space:***@proxy:8080`);
/// userinfo without a password is masked whole (`http://***@proxy`). Text
/// that does not parse as a URL is masked up to its last `@`.
pub fn mask_url_credentials(url: &str) -> String {
    let (prefix, rest) = match url.find("://") {
        Some(index) => url.split_at(index + 3),
        None => ("", url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let (userinfo, host) = (&authority[..at], &authority[at..]);
    let masked = match userinfo.split_once(':') {
        Some((user, _)) if !user.is_empty() => format!("{user}:***"),
        _ => "***".to_owned(),
    };
    format!("{prefix}{masked}{host}{tail}")
}

pub(crate) fn ca_bundle_path_with(env: EnvLookup<'_>) -> Result<Option<PathBuf>, Error> {
    if let Some(content) = env(COZE_OUTBOUND_AUTH_PROXY_CA)? {
        return ca_file::path_for(&content).map(Some);
    }
    let Some(path) = env(COZE_OUTBOUND_AUTH_PROXY_CA_PATH)? else {
        return Ok(None);
    };
    if !Path::new(&path).exists() {
        return Err(Error::configuration(format!(
            "COZE_OUTBOUND_AUTH_PROXY_CA_PATH environment variable is set to '{path}' but the \
             file does not exist. Please check the path."
        )));
    }
    Ok(Some(PathBuf::from(path)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Result<Option<String>, Error> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            Ok(pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty()))
        }
    }

    #[test]
    fn proxy_url_precedence_and_credentials() {
        let env = env_of(&[
            (
                COZE_SKILL_PROXY_DOMAIN,
                "HTTP://old:creds@proxy.internal:8080/x?y#z",
            ),
            (COZE_OUTBOUND_AUTH_PROXY, "http://fallback:3128"),
            (IDENTITY_TICKET, "tk+a/b=c d"),
        ]);
        let url = proxy_url_with(&env).unwrap();
        assert_eq!(
            url.expose(),
            "http://space:tk%2Ba%2Fb%3Dc+d@proxy.internal:8080/x?y#z"
        );
        let env = env_of(&[
            (COZE_SKILL_PROXY_DOMAIN, ""),
            (COZE_OUTBOUND_AUTH_PROXY, "https://fallback:3128"),
            (IDENTITY_TICKET, "t"),
        ]);
        assert_eq!(
            proxy_url_with(&env).unwrap().expose(),
            "https://space:t@fallback:3128"
        );
    }

    #[test]
    fn proxy_url_errors() {
        let error = proxy_url_with(&env_of(&[(IDENTITY_TICKET, "t")])).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Configuration);
        assert!(error
            .message()
            .starts_with("Neither COZE_SKILL_PROXY_DOMAIN"));
        let error =
            proxy_url_with(&env_of(&[(COZE_OUTBOUND_AUTH_PROXY, "http://p:1")])).unwrap_err();
        assert!(error
            .message()
            .starts_with("identity_ticket environment variable"));
        for bad in [
            "ftp://user:hunter2@proxy:21",
            "socks5://user:hunter2@proxy",
            "user:hunter2@proxy:8080",
            "http://user:hunter2@",
            "http://user:hunter2@:8080",
            "http://proxy :8080",
        ] {
            let env = env_of(&[
                (COZE_OUTBOUND_AUTH_PROXY, bad),
                (IDENTITY_TICKET, "ticket-xyz"),
            ]);
            let error = proxy_url_with(&env).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Configuration, "{bad}");
            let shown = error.to_string();
            assert!(shown.contains(COZE_OUTBOUND_AUTH_PROXY), "{shown}");
            assert!(
                !shown.contains("hunter2") && !shown.contains("ticket-xyz"),
                "{shown}"
            );
        }
    }

    #[test]
    fn masking() {
        assert_eq!(
            mask_url_credentials("http://space:secret@h:1/p"),
            "http://space:***@h:1/p"
        );
        assert_eq!(mask_url_credentials("http://token@h"), "http://***@h");
        assert_eq!(mask_url_credentials("http://:pw@h"), "http://***@h");
        assert_eq!(mask_url_credentials("http://h:1/a@b"), "http://h:1/a@b");
        assert_eq!(mask_url_credentials("u:p@a@h:1"), "u:***@h:1");
        let proxy = OutboundProxy {
            url: SecretString::from("http://space:tick@h:1"),
            ca_bundle_path: None,
        };
        assert!(!format!("{proxy:?}").contains("tick"));
    }

    #[test]
    fn ca_bundle_precedence_and_missing_path() {
        assert_eq!(ca_bundle_path_with(&env_of(&[])).unwrap(), None);
        let env = env_of(&[(COZE_OUTBOUND_AUTH_PROXY_CA_PATH, "/nonexistent/ca.pem")]);
        let error = ca_bundle_path_with(&env).unwrap_err();
        assert_eq!(
            error.message(),
            "COZE_OUTBOUND_AUTH_PROXY_CA_PATH environment variable is set to \
             '/nonexistent/ca.pem' but the file does not exist. Please check the path."
        );
        let env = env_of(&[(COZE_OUTBOUND_AUTH_PROXY_CA_PATH, "/")]);
        assert_eq!(ca_bundle_path_with(&env).unwrap(), Some(PathBuf::from("/")));
        let env = env_of(&[
            (
                COZE_OUTBOUND_AUTH_PROXY_CA,
                "-----BEGIN CERTIFICATE-----\nunit\n",
            ),
            (COZE_OUTBOUND_AUTH_PROXY_CA_PATH, "/nonexistent/ca.pem"),
        ]);
        let path = ca_bundle_path_with(&env).unwrap().unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "-----BEGIN CERTIFICATE-----\nunit\n"
        );
    }
}
