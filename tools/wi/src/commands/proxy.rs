//! `wi proxy`: the settings of Coze's authenticating outbound proxy (the proxy
//! URL carrying the identity ticket, and its CA bundle), for tools that take
//! them as environment variables or flags.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use workload_identity::{OutboundProxy, SecretString};

use crate::failure::Failure;
use crate::format::{Format, FormatArgs};
use crate::output::{self, Json};
use crate::shell;

/// Print the outbound proxy settings
///
/// Reads COZE_SKILL_PROXY_DOMAIN (else COZE_OUTBOUND_AUTH_PROXY) with the
/// identity ticket (identity_ticket) as its password, and the CA from
/// COZE_OUTBOUND_AUTH_PROXY_CA (content) or COZE_OUTBOUND_AUTH_PROXY_CA_PATH.
/// The proxy URL is printed with its credentials masked unless --reveal. A CA
/// given as content is written to a file removed when wi exits: give
/// --ca-file PATH to keep a copy for later use (the env and json formats
/// refuse to print the path of a file that is about to go).
#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Proxy {
    #[command(flatten)]
    format: FormatArgs<ProxyFormat>,

    /// Print the proxy URL with the identity ticket (a secret) instead of masked
    #[arg(long)]
    reveal: bool,

    /// Write the CA bundle to PATH (0600) and print that path
    #[arg(long, value_name = "PATH")]
    ca_file: Option<PathBuf>,
}

const EXAMPLES: &str = "\
Examples:
  wi proxy                                     # the proxy URL, masked
  eval \"$(wi proxy --format env --reveal --ca-file ~/.cache/coze-proxy-ca.pem)\"
  curl --proxy \"$(wi proxy --reveal)\" https://example.com/
";

/// The formats of `wi proxy`.
#[derive(Clone, Default, clap::ValueEnum)]
pub enum ProxyFormat {
    /// The proxy URL alone on one line (default)
    #[default]
    Url,
    /// export HTTPS_PROXY, HTTP_PROXY and (with a CA) SSL_CERT_FILE lines for eval
    Env,
    /// {"proxy_url", "ca_bundle_path"}
    Json,
}

impl Format for ProxyFormat {
    const JSON: Self = ProxyFormat::Json;
}

impl Proxy {
    /// Reads the settings and prints them.
    pub fn run(self) -> Result<(), Failure> {
        let format = self.format.get();
        let settings = OutboundProxy::from_env()?;
        let url = if self.reveal {
            settings.url().clone()
        } else {
            SecretString::new(settings.masked_url())
        };
        let ca = match (settings.ca_bundle_path(), &self.ca_file) {
            (Some(from), Some(to)) => Some(copy_ca(from, to)?),
            (Some(_), None)
                if settings.ca_bundle_removed_at_exit() && !matches!(format, ProxyFormat::Url) =>
            {
                return Err(Failure::Usage(
                    "the CA is given as content (COZE_OUTBOUND_AUTH_PROXY_CA): its file is \
                     removed when wi exits, so its path would be of no use; give \
                     --ca-file PATH to keep a copy"
                        .to_owned(),
                ));
            }
            (Some(from), None) => Some(from.to_path_buf()),
            (None, _) => None,
        };
        let ca = ca.map(|path| path.display().to_string());
        output::emit(|out| match format {
            ProxyFormat::Url => {
                out.write_all(url.expose().as_bytes())?;
                out.write_all(b"\n")
            }
            ProxyFormat::Env => {
                for name in ["HTTPS_PROXY", "HTTP_PROXY"] {
                    shell::assignment(out, "export ", name, url.expose())?;
                }
                match &ca {
                    Some(path) => shell::assignment(out, "export ", "SSL_CERT_FILE", path),
                    None => Ok(()),
                }
            }
            ProxyFormat::Json => output::object(
                out,
                &[
                    ("proxy_url", Json::Text(url.expose())),
                    ("ca_bundle_path", Json::Optional(ca.as_deref())),
                ],
            ),
        })
    }
}

/// Copies the CA bundle to `to`, readable by this user only.
fn copy_ca(from: &Path, to: &Path) -> Result<PathBuf, Failure> {
    let failed = |why: std::io::Error| {
        Failure::Configuration(format!(
            "cannot write the CA bundle to {}: {why}",
            to.display()
        ))
    };
    let pem = std::fs::read(from).map_err(failed)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(to)
        .map_err(failed)?;
    std::io::Write::write_all(&mut file, &pem).map_err(failed)?;
    Ok(to.to_path_buf())
}
