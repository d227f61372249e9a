//! The authenticating proxy: `CONNECT host:port` tunnels, as Coze's outbound
//! proxy. `Proxy-Authorization: Basic` must carry the user `space` and the
//! current ticket (else 407); only loopback targets are tunnelled (else 403);
//! any other method is 405. A thread per connection, two per tunnel.

use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use std::sync::{Mutex, PoisonError};

use super::{read_head, Counters};
use crate::encoding::base64_decode;

/// Request heads larger than this are refused.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// The ticket the proxy accepts; changed by the control API while tunnels run.
#[derive(Default)]
pub(crate) struct Ticket(Mutex<String>);

impl Ticket {
    pub(crate) fn set(&self, ticket: &str) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = ticket.to_owned();
    }

    fn matches(&self, candidate: &str) -> bool {
        let ticket = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        !ticket.is_empty() && *ticket == candidate
    }
}

pub(crate) fn serve(listener: TcpListener, ticket: Arc<Ticket>, counters: Arc<Counters>) {
    for stream in listener.incoming() {
        if counters.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let (ticket, counters) = (Arc::clone(&ticket), Arc::clone(&counters));
        std::thread::spawn(move || {
            let _ = handle(stream, &ticket, &counters);
        });
    }
}

fn handle(mut client: TcpStream, ticket: &Ticket, counters: &Counters) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let head = read_head(&mut client, MAX_HEAD_BYTES)?;
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let (method, target) = (
        request_line.next().unwrap_or_default(),
        request_line.next().unwrap_or_default(),
    );
    let authorization = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, value)| value.trim().to_owned());
    if method != "CONNECT" {
        return reply(
            &mut client,
            "405 Method Not Allowed",
            "only CONNECT is supported",
        );
    }
    if !authorization
        .as_deref()
        .is_some_and(|value| authorized(value, ticket))
    {
        counters.connects_refused.fetch_add(1, Ordering::SeqCst);
        let response = "HTTP/1.1 407 Proxy Authentication Required\r\n\
                        Proxy-Authenticate: Basic realm=\"coze-outbound\"\r\n\
                        Content-Length: 0\r\nConnection: close\r\n\r\n";
        return client.write_all(response.as_bytes());
    }
    let host = target.rsplit_once(':').map_or(target, |(host, _)| host);
    if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        return reply(&mut client, "403 Forbidden", "only loopback targets");
    }
    let Ok(upstream) = TcpStream::connect(target) else {
        return reply(&mut client, "502 Bad Gateway", "cannot reach the target");
    };
    counters.connects_allowed.fetch_add(1, Ordering::SeqCst);
    client.set_read_timeout(None)?;
    client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    let (mut client_read, mut upstream_write) = (client.try_clone()?, upstream.try_clone()?);
    let forward = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_read, &mut upstream_write);
        let _ = upstream_write.shutdown(Shutdown::Write);
    });
    let (mut upstream_read, mut client_write) = (upstream, client);
    let _ = std::io::copy(&mut upstream_read, &mut client_write);
    let _ = client_write.shutdown(Shutdown::Write);
    let _ = forward.join();
    Ok(())
}

/// `Basic base64(space:<ticket>)`.
fn authorized(value: &str, ticket: &Ticket) -> bool {
    let Some(("basic" | "Basic" | "BASIC", encoded)) = value.split_once(' ') else {
        return false;
    };
    let Some(decoded) = base64_decode(encoded.trim()) else {
        return false;
    };
    let decoded = String::from_utf8_lossy(&decoded);
    match decoded.split_once(':') {
        Some(("space", password)) => ticket.matches(password),
        _ => false,
    }
}

fn reply(client: &mut TcpStream, status: &str, message: &str) -> std::io::Result<()> {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{message}",
        message.len()
    );
    client.write_all(response.as_bytes())
}
