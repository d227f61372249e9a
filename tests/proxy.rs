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

/// A loopback listener standing in for a (possibly remote) proxy: it counts
/// the connections it gets and refuses each with 502.
fn recording_proxy() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", proxy.local_addr().unwrap().port());
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = connections.clone();
    std::thread::spawn(move || {
        for mut stream in proxy.incoming().flatten() {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = stream.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        }
    });
    (url, connections)
}

/// Endpoints on loopback (the client secret in clear text, over plain http)
/// never go through a proxy, from the environment or from the `proxy` option:
/// the proxy may be remote, and its own loopback is not ours.
#[test]
fn loopback_endpoints_never_go_through_a_proxy() {
    let server = wi_devserver::DevServer::start(wi_devserver::Options::default()).unwrap();
    let (proxy_url, connections) = recording_proxy();
    for name in ["ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY", "http_proxy"] {
        std::env::set_var(name, &proxy_url);
    }
    for explicit in [None, Some(proxy_url.as_str())] {
        let mut builder = ConfigBuilder::new();
        for (key, value) in [
            ("client_id", "dev-client"),
            ("client_secret", "dev-secret"),
            ("token_endpoint", server.token_endpoint().as_str()),
            (
                "access_token_endpoint",
                server.access_token_endpoint().as_str(),
            ),
            (
                "outbound_auth_endpoint",
                server.outbound_auth_endpoint().as_str(),
            ),
            ("max_retries", "0"),
        ] {
            builder.set(key, value).unwrap();
        }
        if let Some(proxy) = explicit {
            builder.set("proxy", proxy).unwrap();
        }
        let client = Client::new(builder.build_with_env(|_| None).unwrap()).unwrap();
        let token = client.access_token();
        assert!(token.is_ok(), "proxy {explicit:?}: {:?}", token.err());
        client.integration_credential("github").unwrap();
    }
    for name in ["ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY", "http_proxy"] {
        std::env::remove_var(name);
    }
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the proxy was asked for a loopback endpoint"
    );
}
