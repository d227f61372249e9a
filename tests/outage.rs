//! Static stability: the identity server answers 503 for a minute in the middle
//! of a token's life; 16 threads calling all along never see an error nor an
//! expired token, and the server sees a bounded number of requests.
//! Takes about 95 s of wall time.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{client, server, status_fault};

/// Asks the server whether `token` is still accepted (a raw request, so that the
/// library's own 401 handling cannot hide an expired token).
fn accepted(port: u16, token: &str) -> bool {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET /outbound/env HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.starts_with("HTTP/1.1 200")
}

#[test]
fn a_minute_of_503_in_mid_life_is_invisible_to_callers() {
    const TTL_SECS: u64 = 90;
    let server = server();
    server.set_ttl(TTL_SECS);
    let client = client(&server, &[]);
    client.access_token().unwrap();
    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicU64::new(0));
    let port = server.port();
    let workers: Vec<_> = (0..16)
        .map(|worker| {
            let (client, stop, calls) = (client.clone(), stop.clone(), calls.clone());
            std::thread::spawn(move || {
                let mut checked = 0;
                while !stop.load(Ordering::Relaxed) {
                    let token = client.access_token().expect("no caller ever sees an error");
                    let n = calls.fetch_add(1, Ordering::Relaxed);
                    if n % 64 == worker {
                        assert!(
                            accepted(port, token.expose()),
                            "a caller received an expired token"
                        );
                        checked += 1;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                checked
            })
        })
        .collect();

    std::thread::sleep(Duration::from_secs(15));
    let before = server.request_count("/oauth/token");
    server.push_fault(status_fault(
        "/oauth/token",
        503,
        r#"{"error":"temporarily_unavailable"}"#,
        u32::MAX,
    ));
    std::thread::sleep(Duration::from_secs(60));
    let during = server.request_count("/oauth/token") - before;
    server.reset();
    std::thread::sleep(Duration::from_secs(TTL_SECS + 5 - 75));
    stop.store(true, Ordering::Relaxed);
    let checked: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    let stats = client.stats();
    println!(
        "outage: {} calls over {:?}, {checked} tokens verified at the server, {during} token requests \
         during the 60 s outage, stats {stats:?}",
        calls.load(Ordering::Relaxed),
        start.elapsed()
    );
    assert!(during <= 24, "{during} requests during the outage");
    assert!(stats.stale_served > 0 || stats.refreshes_failed > 0);
    assert!(
        stats.refreshes_succeeded >= 2,
        "refreshed once the server was back"
    );
}
