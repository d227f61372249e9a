//! End-to-end tests over raw HTTP/1.1 on a `TcpStream`.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{post_form, post_json, send, Response};
use serde_json::{json, Value};
use wi_devserver::{DevServer, Fault, FaultKind, Options};

const EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

fn id_token(port: u16, client: &str, secret: &str) -> Response {
    let form = [
        ("client_id", client),
        ("client_secret", secret),
        ("grant_type", "client_credentials"),
    ];
    post_form(port, "/oauth/token", &form, &[])
}

fn exchange(port: u16, client: &str, subject: &str) -> Response {
    let form = [
        ("client_id", client),
        ("subject_token", subject),
        ("subject_token_type", ID_TOKEN_TYPE),
        ("grant_type", EXCHANGE_GRANT),
    ];
    post_form(port, "/oauth/exchange", &form, &[])
}

fn access_token(port: u16) -> String {
    let id = id_token(port, "dev-client", "dev-secret").json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    exchange(port, "dev-client", &id).json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn start() -> DevServer {
    DevServer::start(Options::default()).unwrap()
}

#[test]
fn two_step_flow_and_outbound_calls() {
    let server = start();
    let port = server.port();
    assert_eq!(
        server.token_endpoint(),
        format!("http://127.0.0.1:{port}/oauth/token")
    );

    let step1 = id_token(port, "dev-client", "dev-secret");
    assert_eq!(step1.status, 200);
    let step1 = step1.json();
    let id = step1["access_token"].as_str().unwrap();
    assert!(id.starts_with("idt_") && id.len() == 36, "{id}");
    assert_eq!(
        (&step1["token_type"], &step1["expires_in"]),
        (&json!("Bearer"), &json!(3600))
    );

    let step2 = exchange(port, "dev-client", id);
    assert_eq!(step2.status, 200, "{}", step2.body);
    let step2 = step2.json();
    let access = step2["access_token"].as_str().unwrap();
    assert!(access.starts_with("at_"));
    assert_eq!(step2["issued_token_type"], ACCESS_TOKEN_TYPE);
    assert_eq!(step2["expires_in"], 3600);
    assert!(step2.get("scope").is_none() && step2.get("refresh_in").is_none());

    let bearer = format!("Bearer {access}");
    let auth = [("Authorization", bearer.as_str())];
    let github = post_json(
        port,
        "/outbound/integration",
        &json!({"integration_name": "github"}),
        &auth,
    );
    assert_eq!(github.status, 200);
    assert_eq!(
        github.json(),
        json!({"code": 0, "msg": "success", "data": {"credential": "ghp_dev_github_credential"}})
    );
    let unknown = post_json(
        port,
        "/outbound/integration",
        &json!({"integration_name": "nope"}),
        &auth,
    );
    assert_eq!(
        (unknown.status, unknown.json()),
        (
            200,
            json!({"code": 1001, "msg": "integration not found: nope"})
        )
    );
    let env = send(port, "GET", "/outbound/env", &auth, "");
    assert_eq!(env.status, 200);
    let secrets = &env.json()["data"]["secrets"];
    assert_eq!(
        secrets[0],
        json!({"key": "DATABASE_URL", "value": "postgres://dev:dev@127.0.0.1/dev"})
    );
    assert_eq!(
        secrets[2],
        json!({"key": "GREETING", "value": "héllo wörld"})
    );

    let requests = server.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/oauth/token",
            "/oauth/exchange",
            "/outbound/integration",
            "/outbound/integration",
            "/outbound/env"
        ]
    );
    assert_eq!(
        requests[1].form_value("subject_token_type"),
        Some(ID_TOKEN_TYPE)
    );
    assert!(requests[1].body.contains("urn%3Aietf"));
    assert_eq!(requests[2].header("Authorization"), Some(bearer.as_str()));
    assert_eq!(server.request_count("/outbound/integration"), 2);
}

#[test]
fn client_authentication_errors() {
    let server = start();
    let port = server.port();
    for (client, secret) in [("dev-client", "wrong"), ("nobody", "dev-secret")] {
        let reply = id_token(port, client, secret);
        assert_eq!(
            (reply.status, &reply.json()["error"]),
            (401, &json!("invalid_client"))
        );
    }
    let no_grant = post_form(
        port,
        "/oauth/token",
        &[("client_id", "dev-client"), ("client_secret", "dev-secret")],
        &[],
    );
    assert_eq!(
        (no_grant.status, &no_grant.json()["error"]),
        (400, &json!("invalid_request"))
    );
    let form = [
        ("client_id", "dev-client"),
        ("client_secret", "dev-secret"),
        ("grant_type", "password"),
    ];
    let wrong_grant = post_form(port, "/oauth/token", &form, &[]);
    assert_eq!(
        (wrong_grant.status, &wrong_grant.json()["error"]),
        (400, &json!("unsupported_grant_type"))
    );

    // client_secret_basic: base64("dev-client:dev-secret").
    let basic = [("Authorization", "Basic ZGV2LWNsaWVudDpkZXYtc2VjcmV0")];
    let by_basic = post_form(
        port,
        "/oauth/token",
        &[("grant_type", "client_credentials")],
        &basic,
    );
    assert_eq!(by_basic.status, 200, "{}", by_basic.body);
    let id = by_basic.json()["access_token"].as_str().unwrap().to_owned();
    let form = [
        ("subject_token", id.as_str()),
        ("subject_token_type", ID_TOKEN_TYPE),
        ("grant_type", EXCHANGE_GRANT),
    ];
    assert_eq!(
        post_form(port, "/oauth/exchange", &form, &basic).status,
        200
    );

    // Basic credentials are accepted raw or form-encoded: "app:p+ss:word", "app:p%2Bss%3Aword".
    server.add_client("app", "p+ss:word");
    for encoded in ["YXBwOnArc3M6d29yZA==", "YXBwOnAlMkJzcyUzQXdvcmQ="] {
        let basic = format!("Basic {encoded}");
        let grant = [("grant_type", "client_credentials")];
        let reply = post_form(port, "/oauth/token", &grant, &[("Authorization", &basic)]);
        assert_eq!(reply.status, 200, "{encoded}");
    }

    let wrong = [
        ("client_id", "dev-client"),
        ("client_secret", "bad"),
        form[0],
        form[1],
        form[2],
    ];
    let reply = post_form(port, "/oauth/exchange", &wrong, &[]);
    assert_eq!(
        (reply.status, &reply.json()["error"]),
        (401, &json!("invalid_client"))
    );
}

#[test]
fn token_exchange_rules() {
    let server = start();
    let port = server.port();
    server.add_client("other", "other-secret");
    let id = id_token(port, "dev-client", "dev-secret").json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let stolen = exchange(port, "other", &id);
    assert_eq!(
        (stolen.status, &stolen.json()["error"]),
        (400, &json!("invalid_grant"))
    );
    let forged = exchange(port, "dev-client", "idt_forged");
    assert_eq!(
        (forged.status, &forged.json()["error"]),
        (400, &json!("invalid_grant"))
    );
    let missing = post_form(
        port,
        "/oauth/exchange",
        &[
            ("client_id", "dev-client"),
            ("subject_token", &id),
            ("grant_type", EXCHANGE_GRANT),
        ],
        &[],
    );
    assert_eq!(missing.status, 400);
    assert!(missing.json()["error_description"]
        .as_str()
        .unwrap()
        .contains("subject_token_type"));

    let access = access_token(port);
    let general = [
        ("client_id", "other"),
        ("client_secret", "other-secret"),
        ("subject_token", access.as_str()),
        ("subject_token_type", ACCESS_TOKEN_TYPE),
        ("requested_token_type", "urn:example:custom"),
        ("scope", "read write"),
        ("grant_type", EXCHANGE_GRANT),
    ];
    let reply = post_form(port, "/oauth/exchange", &general, &[]).json();
    assert_eq!(
        (&reply["issued_token_type"], &reply["scope"]),
        (&json!("urn:example:custom"), &json!("read write"))
    );
    let external = [
        ("client_id", "other"),
        ("subject_token", "anything"),
        ("subject_token_type", "urn:x:jwt"),
        ("grant_type", EXCHANGE_GRANT),
    ];
    assert_eq!(
        post_form(port, "/oauth/exchange", &external, &[]).status,
        200
    );
    let actor = [
        external[0],
        external[1],
        external[2],
        external[3],
        ("actor_token", "a"),
    ];
    let reply = post_form(port, "/oauth/exchange", &actor, &[]);
    assert_eq!(
        (reply.status, &reply.json()["error"]),
        (400, &json!("invalid_request"))
    );
}

#[test]
fn outbound_rejects_bad_tokens_and_bodies() {
    let server = start();
    let port = server.port();
    let body = json!({"integration_name": "github"});
    let id = id_token(port, "dev-client", "dev-secret").json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let id_as_bearer = format!("Bearer {id}");
    for auth in [
        vec![],
        vec![("Authorization", "Bearer at_forged")],
        vec![("Authorization", id_as_bearer.as_str())],
    ] {
        let reply = post_json(port, "/outbound/integration", &body, &auth);
        assert_eq!(
            (reply.status, reply.json()),
            (
                401,
                json!({"code": 401, "msg": "invalid or expired access token"})
            )
        );
        assert_eq!(send(port, "GET", "/outbound/env", &auth, "").status, 401);
    }
    let bearer = format!("Bearer {}", access_token(port));
    let auth = [("Authorization", bearer.as_str())];
    let not_json = send(port, "POST", "/outbound/integration", &auth, "{oops");
    assert_eq!(
        (not_json.status, &not_json.json()["code"]),
        (400, &json!(400))
    );
    let no_name = post_json(port, "/outbound/integration", &json!({}), &auth);
    assert_eq!(no_name.status, 400);

    server.set_ttl(0); // tokens issued from now on are born expired
    let expired = exchange(port, "dev-client", &id).json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let expired = format!("Bearer {expired}");
    assert_eq!(
        send(
            port,
            "GET",
            "/outbound/env",
            &[("Authorization", &expired)],
            ""
        )
        .status,
        401
    );
    server.revoke_tokens();
    assert_eq!(send(port, "GET", "/outbound/env", &auth, "").status, 401);
}

#[test]
fn faults_are_consumed_then_gone() {
    let server = start();
    let port = server.port();
    let fault = json!({"path": "/oauth/token", "count": 1, "status": 503, "retry_after": 1});
    assert_eq!(post_json(port, "/_dev/faults", &fault, &[]).status, 200);
    let faulted = id_token(port, "dev-client", "dev-secret");
    assert_eq!(
        (faulted.status, faulted.header("retry-after")),
        (503, Some("1"))
    );
    assert_eq!(faulted.json()["error"], "injected_fault");
    assert_eq!(id_token(port, "dev-client", "dev-secret").status, 200);

    server.push_fault(Fault {
        count: 2,
        ..Fault::new("*", FaultKind::MalformedJson)
    });
    assert!(
        serde_json::from_str::<Value>(&send(port, "GET", "/outbound/env", &[], "").body).is_err()
    );
    assert!(
        serde_json::from_str::<Value>(&id_token(port, "dev-client", "dev-secret").body).is_err()
    );
    assert_eq!(send(port, "GET", "/outbound/env", &[], "").status, 401);

    server.push_fault(Fault::new(
        "/outbound/env",
        FaultKind::HugeBody { bytes: 100_000 },
    ));
    assert_eq!(
        send(port, "GET", "/outbound/env", &[], "").body.len(),
        100_000
    );
    let custom =
        json!({"path": "/outbound/env", "status": 200, "body": {"code": 7, "msg": "busy"}});
    post_json(port, "/_dev/faults", &custom, &[]);
    assert_eq!(
        send(port, "GET", "/outbound/env", &[], "").json(),
        json!({"code": 7, "msg": "busy"})
    );
}

#[test]
fn an_outage_is_a_large_fault_cleared_by_delete() {
    let server = start();
    let port = server.port();
    let outage = json!({"path": "*", "count": 1_000_000, "status": 503});
    assert_eq!(post_json(port, "/_dev/faults", &outage, &[]).status, 200);
    assert_eq!(id_token(port, "dev-client", "dev-secret").status, 503);
    assert_eq!(id_token(port, "dev-client", "dev-secret").status, 503);
    let cleared = send(port, "DELETE", "/_dev/faults", &[], "");
    assert_eq!((cleared.status, cleared.json()), (200, json!({"ok": true})));
    assert_eq!(id_token(port, "dev-client", "dev-secret").status, 200);
    assert_eq!(
        send(port, "PUT", "/_dev/faults", &[], "").header("allow"),
        Some("POST, DELETE")
    );
}

#[test]
fn recorded_requests_carry_their_arrival_time_and_status() {
    let server = start();
    let port = server.port();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    server.push_fault(Fault::new("/oauth/token", FaultKind::status(503)));
    id_token(port, "dev-client", "dev-secret");
    id_token(port, "dev-client", "dev-secret");
    send(port, "GET", "/outbound/env", &[], "");
    let requests = send(port, "GET", "/_dev/requests", &[], "").json();
    let statuses: Vec<&Value> = requests["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["status"])
        .collect();
    assert_eq!(statuses, [&json!(503), &json!(200), &json!(401)]);
    let times: Vec<u64> = server
        .requests()
        .iter()
        .map(|r| r.received_at_unix_ms)
        .collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");
    assert!(
        times[0] >= before && times[2] < before + 60_000,
        "{times:?}"
    );
}

#[test]
fn delayed_requests_do_not_block_others() {
    let server = start();
    let port = server.port();
    server.push_fault(Fault {
        delay_ms: 1500,
        ..Fault::new("/oauth/token", FaultKind::DelayOnly)
    });
    let started = Instant::now();
    let slow = thread::spawn(move || id_token(port, "dev-client", "dev-secret").status);
    thread::sleep(Duration::from_millis(100));
    let clients: Vec<_> = (0..64)
        .map(|_| thread::spawn(move || send(port, "GET", "/outbound/env", &[], "").status))
        .collect();
    for client in clients {
        assert_eq!(client.join().unwrap(), 401);
    }
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(slow.join().unwrap(), 200);
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert_eq!(server.request_count("/outbound/env"), 64);
}

#[test]
fn a_burst_of_keep_alive_connections_is_served() {
    // tiny_http 0.12 can strand one connection of a burst until another one
    // closes (src/nudge.rs); these connections all stay open until every one
    // has its answer, so a stranded one would time out here.
    const CONNECTIONS: usize = 64;
    for _ in 0..3 {
        let server = start();
        let port = server.port();
        let start = std::sync::Barrier::new(CONNECTIONS);
        let done = std::sync::Barrier::new(CONNECTIONS);
        let answered: Vec<bool> = thread::scope(|scope| {
            let threads: Vec<_> = (0..CONNECTIONS)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                        stream
                            .set_read_timeout(Some(Duration::from_secs(20)))
                            .unwrap();
                        let request = "GET /outbound/env HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
                        stream.write_all(request.as_bytes()).unwrap();
                        let mut head = [0u8; 12];
                        let answered = stream.read_exact(&mut head).is_ok();
                        done.wait();
                        answered && head.starts_with(b"HTTP/1.1 401")
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert!(answered.iter().all(|&a| a), "{answered:?}");
    }
}

#[test]
fn control_api() {
    let server = start();
    let port = server.port();
    post_json(
        port,
        "/_dev/config",
        &json!({"expires_in": "abc", "refresh_in": 30, "clients": [["ci", "ci-secret"]]}),
        &[],
    );
    let reply = id_token(port, "ci", "ci-secret").json();
    assert_eq!(
        (&reply["expires_in"], &reply["refresh_in"]),
        (&json!("abc"), &json!(30))
    );
    post_json(port, "/_dev/config", &json!({"expires_in": null}), &[]);
    assert!(id_token(port, "ci", "ci-secret")
        .json()
        .get("expires_in")
        .is_none());
    let bad = post_json(port, "/_dev/config", &json!({"ttl": "x"}), &[]);
    assert_eq!(bad.status, 400);

    let stats = send(port, "GET", "/_dev/stats", &[], "").json();
    assert_eq!(stats, json!({"total": 2, "by_path": {"/oauth/token": 2}}));
    let requests = send(port, "GET", "/_dev/requests", &[], "").json();
    let first = &requests["requests"][0];
    assert_eq!(
        (&first["method"], &first["form"]["client_id"]),
        (&json!("POST"), &json!("ci"))
    );
    assert_eq!(
        first["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );

    assert_eq!(send(port, "GET", "/nowhere", &[], "").status, 404);
    let wrong_method = send(port, "GET", "/oauth/token", &[], "");
    assert_eq!(
        (wrong_method.status, wrong_method.header("allow")),
        (405, Some("POST"))
    );
    assert_eq!(
        send(port, "POST", "/outbound/env", &[], "").json()["code"],
        405
    );

    assert_eq!(send(port, "POST", "/_dev/reset", &[], "").status, 200);
    assert_eq!(send(port, "GET", "/_dev/stats", &[], "").json()["total"], 0);
    assert_eq!(id_token(port, "ci", "ci-secret").json()["expires_in"], 3600);
    assert!(server
        .requests()
        .iter()
        .all(|r| !r.path.starts_with("/_dev/")));
}

#[test]
fn stop_closes_the_port() {
    let server = start();
    let port = server.port();
    server.push_fault(Fault {
        delay_ms: 60_000,
        ..Fault::new("*", FaultKind::DelayOnly)
    });
    let pending = thread::spawn(move || {
        let _ = TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
            s.write_all(b"GET /outbound/env HTTP/1.1\r\nHost: x\r\n\r\n")?;
            s.read(&mut [0; 64])
        });
    });
    thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    server.stop();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "stop waited for the delay"
    );
    // tiny_http closes its listener on its own thread, just after `stop` returns.
    let closed = (0..100).any(|_| {
        thread::sleep(Duration::from_millis(10));
        TcpStream::connect(("127.0.0.1", port)).is_err()
    });
    assert!(closed, "port still open after stop");
    pending.join().unwrap();
}

#[test]
fn binary_prints_banner_and_logs_without_secrets() {
    let port_file =
        std::env::temp_dir().join(format!("wi-devserver-test-{}.port", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_wi-devserver"))
        .args(["--client", "bin-client:bin-secret", "--port-file"])
        .arg(&port_file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    stdout.read_line(&mut banner).unwrap();
    let port: u16 = std::fs::read_to_string(&port_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(banner, format!("listening on http://127.0.0.1:{port}\n"));
    let reply = id_token(port, "bin-client", "bin-secret");
    assert_eq!(reply.status, 200);
    let mut log = String::new();
    stdout.read_line(&mut log).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_file(&port_file).unwrap();
    assert_eq!(log, "POST /oauth/token 200\n");
}
