//! The skill environment endpoint and the egress rig's proxy, over raw HTTP/1.1.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{json, Value};
use wi_devserver::{DevServer, Options};

/// Sends `request` (a whole HTTP/1.1 message) and returns the status and body.
fn exchange(port: u16, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn post(port: u16, path: &str, authorization: Option<&str>, body: &str) -> (u16, Value) {
    let auth = authorization
        .map(|value| format!("Authorization: {value}\r\n"))
        .unwrap_or_default();
    let (status, body) = exchange(
        port,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

#[test]
fn skill_environment_endpoint() {
    let server = DevServer::start(Options::default()).unwrap();
    let port = server.port();
    let path = "/skill/get_skill_envs";
    let bearer = Some("Bearer dev-pat-token");
    let (status, body) = post(port, path, bearer, r#"{"agent_id": 7001, "skill_id": 42}"#);
    assert_eq!(status, 200);
    assert_eq!(body["BaseResp"]["StatusCode"], 0);
    assert_eq!(body["data"]["envs"]["SKILL_REGION"], "cn-north");
    let (status, body) = post(
        port,
        path,
        bearer,
        r#"{"agent_id": "7001", "skill_id": "43"}"#,
    );
    assert_eq!(
        (status, body["BaseResp"]["StatusCode"].clone()),
        (200, json!(404))
    );
    let (status, _) = post(
        port,
        path,
        Some("Bearer wrong"),
        r#"{"agent_id": 7001, "skill_id": 42}"#,
    );
    assert_eq!(status, 401);
    let (status, _) = post(port, path, bearer, "[]");
    assert_eq!(status, 400);
    let config = r#"{"skill_envs": [{"agent_id": "1", "skill_id": "2", "pat_token": "p", "envs": {"K": "V"}}]}"#;
    assert_eq!(post(port, "/_dev/config", None, config).0, 200);
    let (status, body) = post(
        port,
        path,
        Some("Bearer p"),
        r#"{"agent_id": 1, "skill_id": 2}"#,
    );
    assert_eq!(
        (status, body["data"]["envs"]["K"].clone()),
        (200, json!("V"))
    );
    let bad = r#"{"skill_envs": [{"agent_id": "1"}]}"#;
    assert_eq!(post(port, "/_dev/config", None, bad).0, 400);
}

#[test]
fn egress_proxy_checks_the_ticket_and_tunnels_only_connect() {
    let server = DevServer::start(Options::default()).unwrap();
    let (status, info) = post(server.port(), "/_dev/egress", None, r#"{"ticket": "t+1"}"#);
    assert_eq!(status, 200);
    assert!(info["ca_pem"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    let proxy_port: u16 = info["proxy_url"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let target = info["target_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("https://")
        .trim_end_matches('/')
        .to_owned();
    let connect = |credentials: Option<&str>| {
        let auth = credentials
            .map(|value| format!("Proxy-Authorization: Basic {value}\r\n"))
            .unwrap_or_default();
        exchange(
            proxy_port,
            &format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n{auth}\r\n"),
        )
        .0
    };
    // base64("space:t+1") and base64("space:wrong").
    assert_eq!(connect(None), 407);
    assert_eq!(connect(Some("c3BhY2U6d3Jvbmc=")), 407);
    let mut stream = TcpStream::connect(("127.0.0.1", proxy_port)).unwrap();
    let request =
        format!("CONNECT {target} HTTP/1.1\r\nProxy-Authorization: Basic c3BhY2U6dCsx\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = [0_u8; 39];
    stream.read_exact(&mut answer).unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    drop(stream);
    let remote =
        "CONNECT example.com:443 HTTP/1.1\r\nProxy-Authorization: Basic c3BhY2U6dCsx\r\n\r\n";
    assert_eq!(exchange(proxy_port, remote).0, 403);
    assert_eq!(
        exchange(proxy_port, "GET http://127.0.0.1/ HTTP/1.1\r\n\r\n").0,
        405
    );
    let seen = server.egress_info().unwrap();
    assert_eq!((seen.connects_allowed, seen.connects_refused), (1, 2));
    // Re-keyed: the old ticket is refused.
    server.egress("t2").unwrap();
    assert_eq!(connect(Some("c3BhY2U6dCsx")), 407);
}
