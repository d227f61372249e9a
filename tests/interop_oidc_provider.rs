//! Interoperability with an authorization server no one here wrote:
//! oidc-provider (tests/interop/oidc-provider), started on 127.0.0.1 by the
//! test. Discovery, introspection of a token it issued (active, then inactive
//! after revocation) under each client authentication, and a registration
//! whose new client then gets a token with client_credentials.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use workload_identity::{Client, ConfigBuilder};

/// One oidc-provider process; dropping it closes its stdin, which ends it.
struct OidcProvider {
    child: Child,
    issuer: String,
}

impl OidcProvider {
    fn start(jwt_key: &Path) -> OidcProvider {
        let start = repo().join("tests/interop/oidc-provider/start");
        let mut child = Command::new(&start)
            .arg("--jwt-key")
            .arg(jwt_key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", start.display()));
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = sender.send(lines.next());
            for _ in lines {} // never let the pipe fill
        });
        let issuer = match receiver.recv_timeout(Duration::from_secs(120)) {
            Ok(Some(Ok(line))) => line.trim().to_owned(),
            other => {
                let _ = child.kill();
                panic!("oidc-provider did not print its issuer (needs node and npm): {other:?}")
            }
        };
        OidcProvider { child, issuer }
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        if self.child.wait().is_err() {
            let _ = self.child.kill();
        }
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn credentials() -> serde_json::Value {
    let path = repo().join("tests/interop/oidc-provider/credentials.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn client(settings: &[(&str, &str)]) -> Client {
    let mut builder = ConfigBuilder::new();
    for (key, value) in settings {
        builder.set(key, value).unwrap();
    }
    Client::new(builder.build_with_env(|_| None).unwrap()).unwrap()
}

#[test]
fn discovery_introspection_revocation_and_registration_against_oidc_provider() {
    let key = repo().join("tools/devserver/tests/keys/ec.pem");
    let server = OidcProvider::start(&key);
    let issuer = server.issuer.as_str();
    let credentials = credentials();
    let clients = &credentials["clients"];
    let key_path = key.to_str().unwrap();

    // Discovery: the RFC 8414 document names the configured issuer.
    let basic_id = clients["client_secret_basic"]["client_id"]
        .as_str()
        .unwrap();
    let basic_secret = clients["client_secret_basic"]["client_secret"]
        .as_str()
        .unwrap();
    let post_id = clients["client_secret_post"]["client_id"].as_str().unwrap();
    let post_secret = clients["client_secret_post"]["client_secret"]
        .as_str()
        .unwrap();
    let jwt_id = clients["private_key_jwt"]["client_id"].as_str().unwrap();
    let common = [
        ("flow", "client_credentials"),
        ("issuer", issuer),
        ("scope", "api:read"),
    ];
    let methods: [Vec<(&str, &str)>; 3] = [
        vec![
            ("client_auth", "client_secret_basic"),
            ("client_id", basic_id),
            ("client_secret", basic_secret),
        ],
        vec![
            ("client_auth", "client_secret_post"),
            ("client_id", post_id),
            ("client_secret", post_secret),
        ],
        vec![
            ("client_auth", "private_key_jwt"),
            ("client_id", jwt_id),
            ("private_key_path", key_path),
        ],
    ];
    for method in methods {
        let settings: Vec<(&str, &str)> = common.iter().copied().chain(method).collect();
        let client = client(&settings);
        let metadata: serde_json::Value =
            serde_json::from_str(&client.server_metadata().unwrap()).unwrap();
        assert_eq!(metadata["issuer"], issuer);
        let token = client.access_token().unwrap();
        let answer: serde_json::Value =
            serde_json::from_str(&client.introspect_token(token.expose(), None).unwrap()).unwrap();
        assert_eq!(answer["active"], true, "{settings:?}");
        assert_eq!(answer["client_id"], settings[4].1);
        assert!(client
            .token_is_active(token.expose(), Some("api:read"))
            .unwrap());
        assert!(!client
            .token_is_active(token.expose(), Some("api:write"))
            .unwrap());
        client
            .revoke_token(token.expose(), Some("access_token"))
            .unwrap();
        assert!(!client.token_is_active(token.expose(), None).unwrap());
        assert_eq!(
            client.introspect_token(token.expose(), None).unwrap(),
            r#"{"active":false}"#
        );
    }

    // Registration with the initial access token, then a token for the new client.
    let registrar = client(&[
        ("flow", "none"),
        ("issuer", issuer),
        (
            "registration_token",
            credentials["initial_access_token"].as_str().unwrap(),
        ),
    ]);
    let answer = registrar
        .register_client(
            r#"{"grant_types":["client_credentials"],"response_types":[],"redirect_uris":[],
                "token_endpoint_auth_method":"client_secret_basic","scope":"api:read"}"#,
        )
        .unwrap();
    let answer: serde_json::Value = serde_json::from_str(answer.expose()).unwrap();
    let registered = client(&[
        ("flow", "client_credentials"),
        ("issuer", issuer),
        ("client_auth", "client_secret_basic"),
        ("client_id", answer["client_id"].as_str().unwrap()),
        ("client_secret", answer["client_secret"].as_str().unwrap()),
    ]);
    let token = registered.access_token().unwrap();
    assert!(registered.token_is_active(token.expose(), None).unwrap());

    // Without the initial access token, registration is refused.
    let refused = client(&[("flow", "none"), ("issuer", issuer)])
        .register_client(
            r#"{"grant_types":["client_credentials"],"response_types":[],"redirect_uris":[]}"#,
        )
        .unwrap_err();
    assert_eq!(refused.kind(), workload_identity::ErrorKind::OAuthOperation);
    assert!(
        refused.http_status().is_some_and(|status| status >= 400),
        "{refused}"
    );
}
