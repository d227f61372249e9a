//! Misbehaving servers: each gives a clear, classified error within the deadline,
//! and no redirect is followed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use workload_identity::{Client, ConfigBuilder, Error, ErrorKind};

/// A loopback server that reads each request and then runs `behave` on the socket.
struct Hostile {
    port: u16,
    requests: Arc<AtomicUsize>,
}

impl Hostile {
    fn start(behave: impl Fn(&mut TcpStream) + Send + Sync + 'static) -> Hostile {
        let behave = Arc::new(behave);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                counter.fetch_add(1, Ordering::SeqCst);
                let behave = behave.clone();
                std::thread::spawn(move || {
                    read_request(&mut stream);
                    behave(&mut stream);
                });
            }
        });
        Hostile { port, requests }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }
}

fn read_request(stream: &mut TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
}

fn respond(stream: &mut TcpStream, status: &str, headers: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

/// Fetches a token from `url` with short timeouts and returns the error and the time taken.
fn fetch(url: &str) -> (Error, Duration) {
    let mut builder = ConfigBuilder::new();
    for (key, value) in [
        ("client_id", "hostile-test"),
        ("client_secret", "hostile-secret"),
        ("token_endpoint", url),
        ("access_token_endpoint", url),
        ("timeout_ms", "800"),
        ("connect_timeout_ms", "500"),
        ("deadline_ms", "2500"),
        ("max_retries", "1"),
    ] {
        builder.set(key, value).unwrap();
    }
    let client = Client::new(builder.build_with_env(|_| None).unwrap()).unwrap();
    let started = Instant::now();
    let error = client.access_token().unwrap_err();
    (error, started.elapsed())
}

fn assert_bounded(error: &Error, took: Duration) {
    assert_eq!(error.kind(), ErrorKind::TokenRetrieval, "{error}");
    assert!(
        took < Duration::from_millis(4_000),
        "took {took:?}: {error}"
    );
    assert!(!error.to_string().contains("hostile-secret"));
}

#[test]
fn never_answers() {
    let server = Hostile::start(|_| std::thread::sleep(Duration::from_secs(30)));
    let (error, took) = fetch(&server.url());
    assert_bounded(&error, took);
    assert!(error.is_retryable());
    assert!(
        error.to_string().contains("timed out") || error.to_string().contains("deadline"),
        "{error}"
    );
}

#[test]
fn one_byte_per_second() {
    let server = Hostile::start(|stream| {
        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n{\"access_token\":\"slow\"}" {
            if stream.write_all(&[*byte]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let (error, took) = fetch(&server.url());
    assert_bounded(&error, took);
    assert!(error.is_retryable(), "{error}");
}

#[test]
fn endless_body() {
    let server = Hostile::start(|stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        let chunk = format!("{:x}\r\n{}\r\n", 65536, "a".repeat(65536));
        while stream.write_all(chunk.as_bytes()).is_ok() {}
    });
    let (error, took) = fetch(&server.url());
    assert_bounded(&error, took);
    assert!(error.to_string().contains("larger than"), "{error}");
    assert!(!error.is_retryable());
}

#[test]
fn invalid_utf8() {
    let server = Hostile::start(|stream| {
        respond(
            stream,
            "200 OK",
            "Content-Type: application/json\r\n",
            b"{\"access_token\":\"\xff\xfe\"}",
        )
    });
    let (error, took) = fetch(&server.url());
    assert_bounded(&error, took);
    assert!(error.to_string().contains("JSON"), "{error}");
}

#[test]
fn closes_mid_response() {
    let server = Hostile::start(|stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"access_");
        let _ = stream.shutdown(std::net::Shutdown::Both);
    });
    let (error, took) = fetch(&server.url());
    assert_bounded(&error, took);
    assert!(error.is_retryable(), "{error}");
    assert_eq!(server.requests.load(Ordering::SeqCst), 2, "retried once");
}

#[test]
fn redirect_is_not_followed() {
    let target =
        Hostile::start(|stream| respond(stream, "200 OK", "", b"{\"access_token\":\"stolen\"}"));
    let location = format!("Location: http://localhost:{}/token\r\n", target.port);
    let server =
        Hostile::start(move |stream| respond(stream, "307 Temporary Redirect", &location, b""));
    let (error, took) = fetch(&server.url());
    assert_bounded(&error, took);
    assert_eq!(error.http_status(), Some(307));
    assert!(!error.is_retryable());
    assert_eq!(
        target.requests.load(Ordering::SeqCst),
        0,
        "the redirect target was never contacted"
    );
}

#[test]
fn unusable_expires_in() {
    for value in ["0", "-5", "1e30", "\"abc\""] {
        let body = format!(r#"{{"access_token":"x","expires_in":{value}}}"#);
        let server = Hostile::start(move |stream| respond(stream, "200 OK", "", body.as_bytes()));
        let (error, took) = fetch(&server.url());
        assert_bounded(&error, took);
        assert!(error.to_string().contains("expires_in"), "{value}: {error}");
        assert!(!error.is_retryable());
    }
}
