//! Helpers shared by the dev server's end-to-end tests: raw HTTP/1.1 on a
//! `TcpStream`, form encoding, and signed client assertions.
#![allow(dead_code)] // each test crate uses a part of it

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair, RsaKeyPair, RsaPublicKeyComponents, ECDSA_P256_SHA256_FIXED_SIGNING,
    RSA_PKCS1_SHA256,
};
use serde_json::{json, Value};

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let found = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map(|(_, v)| v.as_str())
    }
}

pub fn send(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request += &format!("{name}: {value}\r\n");
    }
    request += "\r\n";
    request += body;
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|line| line.split_once(": ").unwrap())
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    let response = Response {
        status,
        headers,
        body: body.to_owned(),
    };
    assert_eq!(response.header("content-type"), Some("application/json"));
    response
}

pub fn encode(pairs: &[(&str, &str)]) -> String {
    let component = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let pairs: Vec<String> = pairs
        .iter()
        .map(|(n, v)| format!("{}={}", component(n), component(v)))
        .collect();
    pairs.join("&")
}

pub fn post_form(
    port: u16,
    path: &str,
    pairs: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Response {
    let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    send(port, "POST", path, &all, &encode(pairs))
}

pub fn post_json(port: u16, path: &str, body: &Value, headers: &[(&str, &str)]) -> Response {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    send(port, "POST", path, &all, &body.to_string())
}

/// `Authorization: Basic` per RFC 6749 2.3.1: both parts form-encoded, then Base64.
pub fn basic(client_id: &str, secret: &str) -> String {
    let pair = format!(
        "{}:{}",
        encode_component(client_id),
        encode_component(secret)
    );
    format!("Basic {}", base64(pair.as_bytes(), STANDARD, true))
}

fn encode_component(text: &str) -> String {
    let encoded = encode(&[(text, "")]);
    encoded.trim_end_matches('=').to_owned()
}

const STANDARD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub fn base64(bytes: &[u8], alphabet: &[u8], pad: bool) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(alphabet[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        if pad {
            out.push_str(&"=".repeat(3 - chunk.len()));
        }
    }
    out
}

pub fn base64url(bytes: &[u8]) -> String {
    base64(bytes, URL_SAFE, false)
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for byte in body.bytes().filter(|&b| b != b'=') {
        let value = STANDARD.iter().position(|&c| c == byte).unwrap() as u32;
        buffer = buffer << 6 | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// A test signing key from `tests/keys/` (PKCS#8), RS256 or ES256.
pub enum TestKey {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

impl TestKey {
    pub fn rsa() -> TestKey {
        let der = pem_der(include_str!("../keys/rsa.pem"));
        TestKey::Rsa(RsaKeyPair::from_pkcs8(&der).unwrap())
    }

    pub fn ec() -> TestKey {
        let der = pem_der(include_str!("../keys/ec.pem"));
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &SystemRandom::new());
        TestKey::Ec(pair.unwrap())
    }

    pub fn alg(&self) -> &'static str {
        match self {
            TestKey::Rsa(_) => "RS256",
            TestKey::Ec(_) => "ES256",
        }
    }

    /// The public key as a JWK with `kid`.
    pub fn jwk(&self, kid: &str) -> Value {
        match self {
            TestKey::Rsa(pair) => {
                let public = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
                json!({
                    "kty": "RSA", "kid": kid,
                    "n": base64url(&public.n), "e": base64url(&public.e),
                })
            }
            TestKey::Ec(pair) => {
                let point = pair.public_key().as_ref();
                json!({
                    "kty": "EC", "crv": "P-256", "kid": kid,
                    "x": base64url(&point[1..33]), "y": base64url(&point[33..]),
                })
            }
        }
    }

    /// A compact JWS of `claims` with header `{"alg", "typ": "JWT"}` plus `kid` if given.
    pub fn sign(&self, claims: &Value, kid: Option<&str>) -> String {
        let mut header = json!({ "alg": self.alg(), "typ": "JWT" });
        if let Some(kid) = kid {
            header["kid"] = kid.into();
        }
        let input = format!(
            "{}.{}",
            base64url(header.to_string().as_bytes()),
            base64url(claims.to_string().as_bytes())
        );
        let rng = SystemRandom::new();
        let signature = match self {
            TestKey::Rsa(pair) => {
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut signature)
                    .unwrap();
                signature
            }
            TestKey::Ec(pair) => pair.sign(&rng, input.as_bytes()).unwrap().as_ref().to_vec(),
        };
        format!("{input}.{}", base64url(&signature))
    }
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

static NEXT_JTI: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// RFC 7523 claims for `client_id` at `audience`, valid for 60 s, with a fresh `jti`.
pub fn assertion_claims(client_id: &str, audience: &str) -> Value {
    let jti = NEXT_JTI.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    json!({
        "iss": client_id, "sub": client_id, "aud": audience,
        "iat": unix_now(), "exp": unix_now() + 60,
        "jti": format!("jti-{}-{jti}", std::process::id()),
    })
}

/// The form fields of `private_key_jwt`.
pub fn assertion_fields(assertion: &str) -> [(&'static str, String); 2] {
    [
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
        ),
        ("client_assertion", assertion.to_owned()),
    ]
}

/// The JSON answer of a control API call.
pub fn control(port: u16, path: &str, body: Option<&Value>) -> Value {
    let reply = match body {
        Some(body) => post_json(port, &format!("/_dev/{path}"), body, &[]),
        None => send(port, "GET", &format!("/_dev/{path}"), &[], ""),
    };
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

/// The last recorded request to `path`, from `/_dev/requests`.
pub fn last_request(port: u16, path: &str) -> Value {
    let requests = control(port, "requests", None);
    requests["requests"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|r| r["path"] == path)
        .cloned()
        .unwrap_or_else(|| panic!("no request to {path}"))
}

/// `(status, error code)` of an answer.
pub fn error_of(reply: &Response) -> (u16, String) {
    let code = reply.json()["error"].as_str().unwrap_or("").to_owned();
    (reply.status, code)
}
