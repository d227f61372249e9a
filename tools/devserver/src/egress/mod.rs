//! The egress test rig: an authenticating `CONNECT` proxy (as Coze's outbound
//! proxy) and an HTTPS target behind it whose certificate chains to a test CA
//! made at start-up. Clients get the proxy URL, the target URL and the CA PEM,
//! and must trust that CA to reach the target through the proxy.
//!
//! Started on first use (`POST /_dev/egress` or [`crate::DevServer::egress`]),
//! on two more ephemeral 127.0.0.1 ports; stopped with the server.

mod certs;
mod proxy;
mod target;

use std::io::{self, Read};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

use certs::TestPki;
use proxy::Ticket;

/// What the rig has seen; shared by its threads.
#[derive(Default)]
pub(crate) struct Counters {
    connects_allowed: AtomicU64,
    connects_refused: AtomicU64,
    target_requests: AtomicU64,
    stopping: AtomicBool,
}

/// Where the rig listens, its CA, and what it has seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EgressInfo {
    /// `http://127.0.0.1:PORT`: the proxy, without credentials.
    pub proxy_url: String,
    /// `https://127.0.0.1:PORT/`: the target behind it.
    pub target_url: String,
    /// The test CA certificate (PEM) that the target's certificate chains to.
    pub ca_pem: String,
    /// `CONNECT`s tunnelled (right credentials).
    pub connects_allowed: u64,
    /// `CONNECT`s refused with 407 (missing or wrong credentials).
    pub connects_refused: u64,
    /// Requests the target answered.
    pub target_requests: u64,
}

impl EgressInfo {
    /// The JSON form of the control API.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "proxy_url": self.proxy_url,
            "target_url": self.target_url,
            "ca_pem": self.ca_pem,
            "connects_allowed": self.connects_allowed,
            "connects_refused": self.connects_refused,
            "target_requests": self.target_requests,
        })
    }
}

/// A running rig; dropping it stops accepting (tunnels in progress end with their sockets).
pub(crate) struct Egress {
    proxy_port: u16,
    target_port: u16,
    ca_pem: String,
    ticket: Arc<Ticket>,
    counters: Arc<Counters>,
}

impl Egress {
    /// Starts the proxy (accepting `ticket`) and the target.
    pub(crate) fn start(ticket: &str) -> io::Result<Egress> {
        let pki = TestPki::generate().map_err(io::Error::other)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(pki.server_chain, pki.server_key)
            .map_err(io::Error::other)?;
        let proxy_listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let target_listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let egress = Egress {
            proxy_port: proxy_listener.local_addr()?.port(),
            target_port: target_listener.local_addr()?.port(),
            ca_pem: pki.ca_pem,
            ticket: Arc::new(Ticket::default()),
            counters: Arc::new(Counters::default()),
        };
        egress.ticket.set(ticket);
        let (ticket, counters) = (Arc::clone(&egress.ticket), Arc::clone(&egress.counters));
        std::thread::Builder::new()
            .name("wi-devserver-proxy".into())
            .spawn(move || proxy::serve(proxy_listener, ticket, counters))?;
        let counters = Arc::clone(&egress.counters);
        let tls = Arc::new(tls);
        std::thread::Builder::new()
            .name("wi-devserver-target".into())
            .spawn(move || target::serve(target_listener, tls, counters))?;
        Ok(egress)
    }

    /// Changes the ticket the proxy accepts.
    pub(crate) fn set_ticket(&self, ticket: &str) {
        self.ticket.set(ticket);
    }

    pub(crate) fn info(&self) -> EgressInfo {
        let count = |counter: &AtomicU64| counter.load(Ordering::SeqCst);
        EgressInfo {
            proxy_url: format!("http://127.0.0.1:{}", self.proxy_port),
            target_url: format!("https://127.0.0.1:{}/", self.target_port),
            ca_pem: self.ca_pem.clone(),
            connects_allowed: count(&self.counters.connects_allowed),
            connects_refused: count(&self.counters.connects_refused),
            target_requests: count(&self.counters.target_requests),
        }
    }
}

impl Drop for Egress {
    fn drop(&mut self) {
        self.counters.stopping.store(true, Ordering::SeqCst);
        // Wake both accept loops so that they see the flag and return.
        for port in [self.proxy_port, self.target_port] {
            let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, port));
        }
    }
}

/// Reads up to the blank line ending an HTTP head, one byte at a time so that
/// nothing after it (a tunnel's TLS bytes, a body) is consumed.
fn read_head(stream: &mut impl Read, max_bytes: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0_u8];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= max_bytes || stream.read(&mut byte)? == 0 {
            return Err(io::ErrorKind::InvalidData.into());
        }
        head.push(byte[0]);
    }
    Ok(head)
}
