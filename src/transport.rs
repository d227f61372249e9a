//! HTTP transport: one keep-alive agent per client, timeouts, proxy, trust roots,
//! a cap on response bodies, and no redirects. After a `fork` the child builds
//! its own agent: pooled connections are never shared with the parent.

use std::time::Duration;

use ureq::tls::{parse_pem, PemItem, RootCerts, TlsConfig};
use ureq::Agent;
use zeroize::Zeroizing;

use crate::config::Config;
use crate::error::Error;
use crate::fork::ForkLocal;
use crate::secret::SecretString;
use crate::url::HttpUrl;
use crate::wipe::{self, WipingConnector};

/// Largest response body accepted; a larger one is an error.
pub(crate) const MAX_BODY_BYTES: u64 = 1024 * 1024;

/// What a request carries.
pub(crate) enum Payload<'a> {
    /// No body (GET).
    Empty,
    /// `application/x-www-form-urlencoded`.
    Form(&'a [u8]),
    /// `application/json`.
    Json(&'a [u8]),
}

/// One HTTP request. `authorization` is the whole header value.
pub(crate) struct HttpRequest<'a> {
    pub(crate) url: &'a str,
    pub(crate) payload: Payload<'a>,
    pub(crate) authorization: Option<&'a str>,
}

/// A response read in full; the body is wiped on drop (it may hold a token).
pub(crate) struct HttpResponse {
    pub(crate) status: u16,
    pub(crate) body: Zeroizing<Vec<u8>>,
    pub(crate) retry_after: Option<Duration>,
}

/// A request that got no usable response.
#[derive(Debug)]
pub(crate) struct TransportError {
    pub(crate) message: String,
    pub(crate) retryable: bool,
}

/// Sends requests for one client. Thread-safe; cheap to share behind an `Arc`.
pub(crate) struct Transport {
    /// This process's agent (a forked child builds its own).
    agent: ForkLocal<Agent>,
    agent_config: ureq::config::Config,
    /// Lane headers, then the `header.<Name>` settings.
    headers: Vec<(String, String)>,
    attempt_timeout: Duration,
}

impl Transport {
    /// Builds the agent from `config`; a bad proxy or CA bundle is a configuration error.
    pub(crate) fn new(config: &Config) -> Result<Transport, Error> {
        let proxy = match config.proxy.as_ref().map(SecretString::expose) {
            Some(url) => Some(ureq::Proxy::new(url).map_err(|error| {
                Error::configuration(format!(
                    "proxy {:?} is not usable: {error}",
                    crate::redact::url(url)
                ))
            })?),
            None => ureq::Proxy::try_from_env(),
        };
        let mut tls = TlsConfig::builder();
        if let Some(path) = &config.ca_bundle_path {
            tls = tls.root_certs(load_roots(path)?);
        }
        Ok(Transport::with_settings(
            proxy,
            tls.build(),
            &config.user_agent,
            config.connect_timeout,
            config.read_timeout,
            config
                .lane
                .headers()
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .chain(config.headers.iter().cloned())
                .collect(),
        ))
    }

    /// A transport for requests outside any client (the skill environment
    /// endpoint): the environment's proxy variables, the built-in trust roots,
    /// the default user agent, `timeout` to connect and again to read.
    pub(crate) fn standalone(timeout: Duration) -> Transport {
        Transport::with_settings(
            ureq::Proxy::try_from_env(),
            TlsConfig::default(),
            &format!("workload-identity/{}", env!("CARGO_PKG_VERSION")),
            timeout,
            timeout,
            Vec::new(),
        )
    }

    fn with_settings(
        proxy: Option<ureq::Proxy>,
        tls: TlsConfig,
        user_agent: &str,
        connect_timeout: Duration,
        read_timeout: Duration,
        headers: Vec<(String, String)>,
    ) -> Transport {
        let agent_config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .proxy(proxy)
            .tls_config(tls)
            .user_agent(user_agent)
            // Token responses are small: modest buffers keep an idle pooled
            // connection at ~50 KiB instead of ureq's default 256 KiB.
            .input_buffer_size(32 * 1024)
            .output_buffer_size(16 * 1024)
            .max_response_header_size(32 * 1024)
            .timeout_connect(Some(connect_timeout))
            .timeout_recv_response(Some(read_timeout))
            .timeout_recv_body(Some(read_timeout))
            .build();
        Transport {
            agent: ForkLocal::new(),
            agent_config,
            headers,
            attempt_timeout: connect_timeout + read_timeout,
        }
    }

    /// Sends `request`, giving up after `limit` (or the per-attempt timeouts).
    pub(crate) fn send(
        &self,
        request: &HttpRequest<'_>,
        limit: Duration,
    ) -> Result<HttpResponse, TransportError> {
        let timeout = Some(limit.min(self.attempt_timeout));
        let agent = self.agent();
        let result = match request.payload {
            Payload::Empty => self
                .prepare(agent.get(request.url), request, timeout)
                .call(),
            Payload::Form(body) => self
                .prepare(agent.post(request.url), request, timeout)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .send(body),
            Payload::Json(body) => self
                .prepare(agent.post(request.url), request, timeout)
                .header("Content-Type", "application/json")
                .send(body),
        };
        let mut response = result.map_err(describe)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let expected = response
            .headers()
            .get("content-length")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        let reader = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .reader();
        let body = wipe::read_to_end(reader, expected, MAX_BODY_BYTES)
            .map_err(|error| describe(ureq::Error::from(error)))?;
        Ok(HttpResponse {
            status,
            body,
            retry_after,
        })
    }
}

impl Transport {
    /// Adds the lane and extra headers, the Authorization header and the attempt
    /// timeout; a request to a loopback host never goes through a proxy (the proxy
    /// may be remote, its loopback is not ours, and the request may be plain http).
    fn prepare<B>(
        &self,
        mut builder: ureq::RequestBuilder<B>,
        request: &HttpRequest<'_>,
        timeout: Option<Duration>,
    ) -> ureq::RequestBuilder<B> {
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(value) = request.authorization {
            builder = match wipe::header_value(value) {
                Some(wiped) => builder.header("Authorization", wiped),
                // Refused by ureq as it is refused here: an invalid header error.
                None => builder.header("Authorization", value),
            };
        }
        let loopback = HttpUrl::parse(request.url).is_ok_and(|url| url.loopback);
        let config = builder.config().timeout_global(timeout);
        if loopback {
            config.proxy(None).build()
        } else {
            config.build()
        }
    }

    /// This process's agent (a new one in a forked child).
    fn agent(&self) -> std::sync::Arc<Agent> {
        self.agent.get(|_| new_agent(&self.agent_config))
    }
}

/// An agent whose resolver answers IP-literal hosts itself (see
/// [`IpLiteralResolver`]) and whose connections wipe their buffers when dropped.
fn new_agent(config: &ureq::config::Config) -> Agent {
    use ureq::unversioned::transport::Connector;
    Agent::with_parts(
        config.clone(),
        ureq::unversioned::transport::DefaultConnector::default().chain(WipingConnector),
        IpLiteralResolver::default(),
    )
}

/// Resolves hosts that are IP literals without a lookup; other hosts go to
/// ureq's default resolver. The default resolver bounds every lookup with a
/// thread whenever a timeout applies, which would add a thread spawn to every
/// request to an address like 127.0.0.1 (measured: +57% on a cold fetch).
#[derive(Debug, Default)]
struct IpLiteralResolver(ureq::unversioned::resolver::DefaultResolver);

impl ureq::unversioned::resolver::Resolver for IpLiteralResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let literal = uri.authority().and_then(|authority| {
            let host = authority
                .host()
                .trim_start_matches('[')
                .trim_end_matches(']');
            let ip = host.parse::<std::net::IpAddr>().ok()?;
            let port = authority.port_u16().or(match uri.scheme_str() {
                Some("https") => Some(443),
                Some("http") => Some(80),
                _ => None,
            })?;
            Some(std::net::SocketAddr::new(ip, port))
        });
        match literal {
            Some(address) => {
                let mut addresses = self.empty();
                addresses.push(address);
                Ok(addresses)
            }
            None => self.0.resolve(uri, config, timeout),
        }
    }
}

fn load_roots(path: &std::path::Path) -> Result<RootCerts, Error> {
    let pem = std::fs::read(path).map_err(|error| {
        Error::configuration(format!(
            "cannot read ca_bundle_path {}: {error}",
            crate::redact::cap(&path.display().to_string())
        ))
    })?;
    let certs: Vec<_> = parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(cert)) => Some(cert),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(Error::configuration(format!(
            "ca_bundle_path {} holds no PEM certificate",
            crate::redact::cap(&path.display().to_string())
        )));
    }
    Ok(RootCerts::new_with_certs(&certs))
}

/// A short, secret-free description of a transport failure and whether to retry.
fn describe(error: ureq::Error) -> TransportError {
    let (message, retryable) = match &error {
        ureq::Error::Timeout(which) => (format!("timed out ({which:?})"), true),
        ureq::Error::HostNotFound => ("host not found".to_owned(), true),
        ureq::Error::ConnectionFailed => ("connection failed".to_owned(), true),
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                ("timed out reading the response".to_owned(), true)
            }
            // TLS failures (an untrusted certificate, a bad handshake) and
            // malformed data do not go away by retrying.
            std::io::ErrorKind::InvalidData => (format!("TLS or protocol error: {io}"), false),
            kind => (format!("network error: {kind}"), true),
        },
        ureq::Error::BodyExceedsLimit(_) => (
            format!("response body is larger than {MAX_BODY_BYTES} bytes"),
            false,
        ),
        ureq::Error::Protocol(_) => ("malformed HTTP response".to_owned(), true),
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => (format!("TLS error: {error}"), false),
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
            ("invalid request (URL or header value)".to_owned(), false)
        }
        ureq::Error::InvalidProxyUrl | ureq::Error::ConnectProxyFailed(_) => {
            ("proxy failed".to_owned(), true)
        }
        _ => (format!("HTTP failure: {error}"), true),
    };
    TransportError { message, retryable }
}
