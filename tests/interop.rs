//! Interoperability with a real authorization server that no one here wrote:
//! oidc-provider (a certified OpenID provider), started on 127.0.0.1 by
//! tests/interop/oidc-provider/start. The library gets tokens from it with
//! client_credentials under client_secret_basic, client_secret_post and
//! private_key_jwt (ES256 and RS256).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use workload_identity::{Client, ConfigBuilder, ErrorKind};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A running oidc-provider; stops when dropped (its stdin closes).
struct Provider {
    child: Child,
    issuer: String,
}

impl Provider {
    fn start(jwt_key: &str) -> Provider {
        let mut child = Command::new(repo().join("tests/interop/oidc-provider/start"))
            .args(["--jwt-key", jwt_key, "--jwt-key-id", "wi-test-key"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the oidc-provider harness starts");
        let mut issuer = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut issuer)
            .unwrap();
        let issuer = issuer.trim().to_owned();
        assert!(issuer.starts_with("http://127.0.0.1:"), "issuer {issuer:?}");
        Provider { child, issuer }
    }

    fn client(&self, pairs: &[(&str, &str)]) -> Result<Client, workload_identity::Error> {
        let mut builder = ConfigBuilder::new();
        builder
            .set("flow", "client_credentials")?
            .set("token_endpoint", &format!("{}/token", self.issuer))?
            .set("scope", "api:read")?;
        for (key, value) in pairs {
            builder.set(key, value)?;
        }
        Client::new(builder.build_with_env(|_| None)?)
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn key_path(name: &str) -> String {
    repo()
        .join("tools/devserver/tests/keys")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn client_credentials_at_oidc_provider_under_basic_post_and_private_key_jwt() {
    for key in ["ec.pem", "rsa.pem"] {
        let key = key_path(key);
        let provider = Provider::start(&key);
        let cases: [&[(&str, &str)]; 3] = [
            &[
                ("client_id", "wi-basic"),
                ("client_secret", "wi-basic-secret"),
                ("client_auth", "client_secret_basic"),
            ],
            // client_secret_post is the default when a secret is set.
            &[
                ("client_id", "wi-post"),
                ("client_secret", "wi-post-secret"),
            ],
            &[
                ("client_id", "wi-jwt"),
                ("client_auth", "private_key_jwt"),
                ("private_key_path", &key),
                ("private_key_id", "wi-test-key"),
            ],
        ];
        for pairs in cases {
            let client = provider.client(pairs).unwrap();
            let (token, expires_at) = client
                .access_token_with_expiry()
                .unwrap_or_else(|error| panic!("{pairs:?}: {error}"));
            assert!(!token.is_empty() && expires_at > 0);
            assert_eq!(client.access_token().unwrap(), token, "cached");
        }
        // A wrong secret is refused, not retried.
        let error = provider
            .client(&[
                ("client_id", "wi-basic"),
                ("client_secret", "not-the-secret"),
                ("client_auth", "client_secret_basic"),
            ])
            .unwrap()
            .access_token()
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::TokenRetrieval, "{error}");
        assert_eq!(error.oauth_error(), Some("invalid_client"));
        assert!(!error.is_retryable());
    }
}
