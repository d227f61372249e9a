//! workload-identity: short-lived access tokens for workloads, through one Rust
//! core behind a stable C ABI.
//!
//! The flow (shared/PROTOCOL.md): client credentials for an ID token, then an
//! RFC 8693 exchange of the ID token for an access token, cached per identity,
//! process-wide, with single-flight refresh, refresh ahead of expiry, retries
//! and bounded time. [`Client`] is the safe Rust API; `ffi` holds the C ABI
//! (`include/workload_identity.h`).
//!
//! ```no_run
//! let client = workload_identity::Client::from_env()?;
//! let token = client.access_token()?;
//! # let _ = token.expose();
//! # Ok::<(), workload_identity::Error>(())
//! ```
#![deny(missing_docs)]

mod ca_file;
mod cache;
mod client;
mod client_auth;
mod clock;
mod config;
mod egress;
mod error;
mod exchange;
pub mod ffi;
mod flow;
mod fork;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod identity;
mod jwt;
mod lane;
mod log;
mod protocol;
mod redact;
mod retry;
mod secret;
mod session;
mod skill_env;
mod stats;
mod store;
mod transport;
mod url;
mod wipe;

pub use cache::{invalidation_counter, Lease};
pub use client::{Client, ExchangedToken};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    ClientAuth, Config, ConfigBuilder, Flow, OptionKey, OptionKind, OptionSpec, TokenStore,
};
pub use egress::{
    mask_url_credentials, outbound_ca_bundle_path, outbound_proxy_url, OutboundProxy,
    COZE_OUTBOUND_AUTH_PROXY, COZE_OUTBOUND_AUTH_PROXY_CA, COZE_OUTBOUND_AUTH_PROXY_CA_PATH,
    COZE_SKILL_PROXY_DOMAIN, IDENTITY_TICKET,
};
pub use error::{Error, ErrorKind, Operation};
pub use lane::Lane;
pub use log::{set_log_sink, Level, LogSink};
pub use protocol::{EnvVar, ExchangeParams};
pub use secret::SecretString;
pub use skill_env::{
    load_skill_env, SkillEnvOptions, SkillEnvReport, COZE_SKILL_ENV_ENDPOINT,
    DEFAULT_SKILL_ENV_ENDPOINT, DEFAULT_SKILL_ENV_TIMEOUT, DEFAULT_TICKET_FILE,
};
pub use stats::Stats;

/// The library version (`Cargo.toml`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
