//! The `proxy` option routes requests through an HTTP proxy (a loopback listener
//! standing in for one, which records what it is asked and refuses).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;

use workload_identity::{Client, ConfigBuilder, ErrorKind};

#[test]
fn requests_go_through_the_configured_proxy() {
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://127.0.0.1:{}", proxy.local_addr().unwrap().port());
    let (seen, first_lines) = mpsc::channel();
    std::thread::spawn(move || {
        for mut stream in proxy.incoming().flatten() {
            let mut line = String::new();
            BufReader::new(&stream).read_line(&mut line).ok();
            let _ = seen.send(line);
            let _ = stream.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        }
    });
    // A host that only the proxy could reach.
    let endpoint = "https://identity.invalid/token";
    let mut builder = ConfigBuilder::new();
    for (key, value) in [
        ("client_id", "proxied"),
        ("client_secret", "proxied-secret"),
        ("token_endpoint", endpoint),
        ("access_token_endpoint", endpoint),
        ("proxy", proxy_url.as_str()),
        ("max_retries", "0"),
    ] {
        builder.set(key, value).unwrap();
    }
    let client = Client::new(builder.build_with_env(|_| None).unwrap()).unwrap();
    let error = client.access_token().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenRetrieval);
    let line = first_lines.recv().unwrap();
    assert!(
        line.starts_with("CONNECT identity.invalid:443"),
        "the proxy was asked: {line:?}"
    );
}
