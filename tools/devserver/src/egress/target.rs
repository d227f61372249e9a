//! The HTTPS target behind the proxy: any method and path answers 200 with a
//! small JSON document naming them. One request per connection
//! (`Connection: close`), a thread per connection.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rustls::{ServerConfig, ServerConnection, StreamOwned};
use serde_json::json;

use super::{read_head, Counters};

/// Request heads larger than this are refused.
const MAX_HEAD_BYTES: usize = 64 * 1024;

pub(crate) fn serve(listener: TcpListener, tls: Arc<ServerConfig>, counters: Arc<Counters>) {
    for stream in listener.incoming() {
        if counters.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let (tls, counters) = (Arc::clone(&tls), Arc::clone(&counters));
        std::thread::spawn(move || {
            let _ = answer(stream, tls, &counters);
        });
    }
}

fn answer(stream: TcpStream, tls: Arc<ServerConfig>, counters: &Counters) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let connection = ServerConnection::new(tls).map_err(std::io::Error::other)?;
    let mut stream = StreamOwned::new(connection, stream);
    let head = read_head(&mut stream, MAX_HEAD_BYTES)?;
    let text = String::from_utf8_lossy(&head);
    let mut request_line = text.lines().next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let path = request_line.next().unwrap_or_default().to_owned();
    let length: usize = text
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length.min(MAX_HEAD_BYTES)];
    stream.read_exact(&mut body)?;
    counters.target_requests.fetch_add(1, Ordering::SeqCst);
    let document = json!({
        "ok": true,
        "server": "wi-devserver egress target",
        "method": method,
        "path": path,
        "body_bytes": body.len(),
    })
    .to_string();
    let payload = if method == "HEAD" {
        ""
    } else {
        document.as_str()
    };
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{payload}",
        document.len()
    );
    stream.write_all(response.as_bytes())?;
    stream.conn.send_close_notify();
    stream.flush()
}
