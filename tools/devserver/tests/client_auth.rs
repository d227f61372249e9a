//! Client authentication on every OAuth endpoint: Basic, post, private_key_jwt, none,
//! and the method each recorded request used.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{
    assertion_claims, assertion_fields, base64url, basic, control, error_of, last_request,
    post_form, unix_now, Response, TestKey,
};
use serde_json::{json, Value};
use wi_devserver::{DevServer, Options};

const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
const EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

fn start() -> DevServer {
    DevServer::start(Options::default()).unwrap()
}

/// A client_credentials request to `/oauth2/token` with these extra fields and headers.
fn client_credentials(port: u16, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Response {
    let mut form = vec![("grant_type", "client_credentials")];
    form.extend_from_slice(fields);
    post_form(port, "/oauth2/token", &form, headers)
}

fn with_assertion(port: u16, path: &str, assertion: &str, fields: &[(&str, &str)]) -> Response {
    let [kind, value] = assertion_fields(assertion);
    let mut form = vec![(kind.0, kind.1.as_str()), (value.0, value.1.as_str())];
    form.extend_from_slice(fields);
    post_form(port, path, &form, &[])
}

#[test]
fn secret_methods_and_none_are_recorded() {
    let server = start();
    let port = server.port();
    // RFC 6749 2.3.1: id and secret form-encoded before Base64.
    server.add_client("app:1", "p+ss w%rd");
    let header = basic("app:1", "p+ss w%rd");
    let reply = client_credentials(port, &[], &[("Authorization", &header)]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        last_request(port, "/oauth2/token")["client_auth"],
        "client_secret_basic"
    );

    let post = client_credentials(
        port,
        &[("client_id", "app:1"), ("client_secret", "p+ss w%rd")],
        &[],
    );
    assert_eq!(post.status, 200);
    assert_eq!(
        last_request(port, "/oauth2/token")["client_auth"],
        "client_secret_post"
    );

    let both = client_credentials(
        port,
        &[("client_secret", "p+ss w%rd")],
        &[("Authorization", &header)],
    );
    assert_eq!(error_of(&both), (400, "invalid_request".to_owned()));
    assert_eq!(
        last_request(port, "/oauth2/token")["client_auth"],
        "client_secret_basic+client_secret_post"
    );

    let wrong = client_credentials(port, &[], &[("Authorization", &basic("app:1", "nope"))]);
    assert_eq!(error_of(&wrong), (401, "invalid_client".to_owned()));
    assert!(wrong.header("www-authenticate").is_some());

    let nothing = client_credentials(port, &[], &[]);
    assert_eq!(error_of(&nothing), (401, "invalid_client".to_owned()));
    assert_eq!(
        last_request(port, "/oauth2/token")["client_auth"],
        Value::Null
    );

    // none: the id alone identifies a client where no proof is needed; a public
    // client (no secret) cannot prove anything with a secret.
    server.add_client("public-app", "");
    let introspect = post_form(
        port,
        "/oauth2/introspect",
        &[("token", "at_x"), ("client_id", "public-app")],
        &[],
    );
    assert_eq!(introspect.status, 200);
    assert_eq!(
        last_request(port, "/oauth2/introspect")["client_auth"],
        "none"
    );
    let with_secret = post_form(
        port,
        "/oauth2/introspect",
        &[
            ("token", "at_x"),
            ("client_id", "public-app"),
            ("client_secret", "guess"),
        ],
        &[],
    );
    assert_eq!(error_of(&with_secret), (401, "invalid_client".to_owned()));
}

#[test]
fn private_key_jwt_with_rs256_and_es256_on_every_endpoint() {
    let rsa = TestKey::rsa();
    let ec = TestKey::ec();
    let options = Options {
        client_keys: vec![(
            "ec-client".to_owned(),
            include_str!("keys/ec.pub.pem").to_owned(),
        )],
        ..Options::default()
    };
    let server = DevServer::start(options).unwrap();
    let port = server.port();
    control(
        port,
        "config",
        Some(&json!({"client_keys": [["rsa-client", {"keys": [rsa.jwk("rsa-1")]}]]})),
    );
    let base = server.base_url();

    for (client, key, kid) in [
        ("rsa-client", &rsa, Some("rsa-1")),
        ("ec-client", &ec, None),
    ] {
        let sign = |path: &str| key.sign(&assertion_claims(client, &format!("{base}{path}")), kid);
        let reply = with_assertion(
            port,
            "/oauth2/token",
            &sign("/oauth2/token"),
            &[("grant_type", "client_credentials")],
        );
        assert_eq!(reply.status, 200, "{client}: {}", reply.body);
        assert_eq!(
            last_request(port, "/oauth2/token")["client_auth"],
            "private_key_jwt"
        );
        let access = reply.json()["access_token"].as_str().unwrap().to_owned();

        let info = with_assertion(
            port,
            "/oauth2/introspect",
            &sign("/oauth2/introspect"),
            &[("token", &access)],
        );
        assert_eq!(
            (
                info.json()["active"].clone(),
                info.json()["client_id"].clone()
            ),
            (json!(true), json!(client))
        );
        let revoked = with_assertion(
            port,
            "/oauth2/revoke",
            &sign("/oauth2/revoke"),
            &[("token", &access), ("client_id", client)],
        );
        assert_eq!(revoked.status, 200, "{}", revoked.body);

        // Both Coze steps take it too.
        let step1 = with_assertion(
            port,
            "/oauth/token",
            &sign("/oauth/token"),
            &[("grant_type", "client_credentials")],
        );
        assert_eq!(step1.status, 200, "{}", step1.body);
        let id_token = step1.json()["access_token"].as_str().unwrap().to_owned();
        let step2 = with_assertion(
            port,
            "/oauth/exchange",
            &sign("/oauth/exchange"),
            &[
                ("grant_type", EXCHANGE_GRANT),
                ("subject_token", &id_token),
                ("subject_token_type", ID_TOKEN_TYPE),
            ],
        );
        assert_eq!(step2.status, 200, "{}", step2.body);
    }

    // aud may also be a list holding the endpoint, and the Host form of the URL.
    let claims = json!({
        "iss": "ec-client", "sub": "ec-client", "exp": unix_now() + 30, "jti": "list-aud",
        "aud": ["https://elsewhere.example", format!("{base}/oauth2/token")],
    });
    let reply = with_assertion(
        port,
        "/oauth2/token",
        &ec.sign(&claims, None),
        &[("grant_type", "client_credentials")],
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[test]
fn bad_assertions_are_refused_with_the_reason() {
    let rsa = TestKey::rsa();
    let ec = TestKey::ec();
    let server = start();
    let port = server.port();
    server
        .add_client_key("jwt-client", &rsa.jwk("k1").to_string())
        .unwrap();
    server.add_client("dev-client", "dev-secret");
    let audience = server.oauth_token_endpoint();
    let claims = || assertion_claims("jwt-client", &audience);
    let edited = |name: &str, value: Value| {
        let mut claims = claims();
        match value {
            Value::Null => {
                claims.as_object_mut().unwrap().remove(name);
            }
            value => claims[name] = value,
        }
        rsa.sign(&claims, Some("k1"))
    };
    let good = rsa.sign(&claims(), Some("k1"));
    let (head, rest) = good.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let tampered_payload = {
        let mut forged = claims();
        forged["iss"] = "dev-client".into();
        format!(
            "{head}.{}.{signature}",
            base64url(forged.to_string().as_bytes())
        )
    };
    let mut flipped = signature.to_owned().into_bytes();
    flipped[10] = if flipped[10] == b'A' { b'B' } else { b'A' };
    let tampered_signature = format!("{head}.{payload}.{}", String::from_utf8(flipped).unwrap());
    let unsigned = format!("{}.{payload}.", base64url(br#"{"alg":"none"}"#));
    let hs256 = format!("{}.{payload}.c2ln", base64url(br#"{"alg":"HS256"}"#));
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "wrong key type",
            ec.sign(&claims(), None),
            "no registered ES256 key",
        ),
        ("unknown kid", rsa.sign(&claims(), Some("k2")), "kid"),
        ("tampered payload", tampered_payload, "sub must equal iss"),
        (
            "tampered signature",
            tampered_signature,
            "signature does not verify",
        ),
        ("alg none", unsigned, "alg"),
        ("alg HS256", hs256, "alg"),
        ("not a JWS", "abc".to_owned(), "three parts"),
        (
            "sub differs",
            edited("sub", "someone".into()),
            "sub must equal iss",
        ),
        (
            "other audience",
            edited("aud", "https://elsewhere.example".into()),
            "aud",
        ),
        ("no audience", edited("aud", Value::Null), "aud"),
        ("expired", edited("exp", (unix_now() - 5).into()), "expired"),
        (
            "long-lived",
            edited("exp", (unix_now() + 3600).into()),
            "more than",
        ),
        ("no exp", edited("exp", Value::Null), "exp"),
        (
            "future iat",
            edited("iat", (unix_now() + 600).into()),
            "iat",
        ),
        ("no jti", edited("jti", Value::Null), "jti"),
    ];
    for (name, assertion, reason) in cases {
        let reply = with_assertion(
            port,
            "/oauth2/token",
            &assertion,
            &[("grant_type", "client_credentials")],
        );
        assert_eq!(
            error_of(&reply),
            (401, "invalid_client".to_owned()),
            "{name}: {}",
            reply.body
        );
        let description = reply.json()["error_description"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(description.contains(reason), "{name}: {description}");
        assert!(
            !description.contains("eyJ"),
            "{name}: the assertion leaked: {description}"
        );
    }
    assert_eq!(
        last_request(port, "/oauth2/token")["client_auth"],
        "private_key_jwt"
    );

    // A jti is accepted once.
    let once = rsa.sign(&claims(), Some("k1"));
    let grant = [("grant_type", "client_credentials")];
    assert_eq!(
        with_assertion(port, "/oauth2/token", &once, &grant).status,
        200
    );
    let replay = with_assertion(port, "/oauth2/token", &once, &grant);
    assert!(
        replay.body.contains("jti was already used"),
        "{}",
        replay.body
    );

    // The assertion is the only method, names its own client, and needs its type.
    let fresh = || rsa.sign(&claims(), Some("k1"));
    let mismatch = with_assertion(
        port,
        "/oauth2/token",
        &fresh(),
        &[grant[0], ("client_id", "dev-client")],
    );
    assert_eq!(error_of(&mismatch), (401, "invalid_client".to_owned()));
    let with_secret = with_assertion(
        port,
        "/oauth2/token",
        &fresh(),
        &[grant[0], ("client_secret", "x")],
    );
    assert_eq!(error_of(&with_secret), (400, "invalid_request".to_owned()));
    let assertion = fresh();
    let untyped = post_form(
        port,
        "/oauth2/token",
        &[grant[0], ("client_assertion", assertion.as_str())],
        &[],
    );
    assert_eq!(error_of(&untyped), (400, "invalid_request".to_owned()));
    let wrong_type = post_form(
        port,
        "/oauth2/token",
        &[
            grant[0],
            ("client_assertion_type", "urn:x"),
            ("client_assertion", assertion.as_str()),
        ],
        &[],
    );
    assert_eq!(error_of(&wrong_type), (400, "invalid_request".to_owned()));
    let hs = format!("{}.e30.c2ln", base64url(br#"{"alg":"HS256"}"#));
    with_assertion(port, "/oauth2/introspect", &hs, &[("token", "x")]);
    assert_eq!(
        last_request(port, "/oauth2/introspect")["client_auth"],
        "client_secret_jwt"
    );

    // Bad key material is refused when registered.
    assert!(server.add_client_key("x", "not a key").is_err());
    let bad = common::post_json(
        port,
        "/_dev/config",
        &json!({"client_keys": [["x", {"kty": "oct"}]]}),
        &[],
    );
    assert_eq!(bad.status, 400);
    assert!(DevServer::start(Options {
        client_keys: vec![("x".to_owned(), "nope".to_owned())],
        ..Options::default()
    })
    .is_err());
}

#[test]
fn binary_registers_keys_and_exits_with_its_parent() {
    let dir = std::env::temp_dir().join(format!("wi-devserver-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("rsa.jwk");
    std::fs::write(
        &key_file,
        json!({"keys": [TestKey::rsa().jwk("k")]}).to_string(),
    )
    .unwrap();
    let port_file = dir.join("port");
    // The shell starts the server, waits for its port file, prints its pid,
    // and exits when its standard input closes.
    let script = r#""$0" --exit-with-parent --client-key "jwt=$1" --user u:p --port-file "$2" >/dev/null &
        while [ ! -s "$2" ]; do sleep 0.05; done; echo $!; read _"#;
    let mut shell = Command::new("sh")
        .args(["-c", script, env!("CARGO_BIN_EXE_wi-devserver")])
        .arg(&key_file)
        .arg(&port_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(shell.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let pid: u32 = line.trim().parse().unwrap();
    let port: u16 = std::fs::read_to_string(&port_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let rsa = TestKey::rsa();
    let audience = format!("http://127.0.0.1:{port}/oauth2/token");
    let assertion = rsa.sign(&assertion_claims("jwt", &audience), Some("k"));
    let reply = with_assertion(
        port,
        "/oauth2/token",
        &assertion,
        &[("grant_type", "client_credentials")],
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    drop(shell.stdin.take());
    shell.wait().unwrap();
    let started = Instant::now();
    let gone = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map_or(true, |stat| stat.split(' ').nth(2) == Some("Z"))
    };
    while !gone() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "server outlived its parent"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::remove_dir_all(&dir).unwrap();

    let unreadable = Command::new(env!("CARGO_BIN_EXE_wi-devserver"))
        .args(["--client-key", "x=/nonexistent/key.pem"])
        .output()
        .unwrap();
    assert_eq!(unreadable.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unreadable.stderr).contains("/nonexistent/key.pem"));
}
