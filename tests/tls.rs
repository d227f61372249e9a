//! TLS: verification is always on, and `ca_bundle_path` supplies the trust
//! anchors. A local rustls server with a certificate made by openssl.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use workload_identity::{Client, ConfigBuilder, ErrorKind};

/// A test CA (`ca.pem`) and a server certificate it signed for localhost and
/// 127.0.0.1 (`cert.pem`, `key.pem`), in `dir`.
fn make_certificates(dir: &Path) -> bool {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let steps: [Vec<&str>; 3] = [
        [
            &["req", "-x509"][..],
            &ec,
            &["-days", "1", "-subj", "/CN=wi test CA"],
        ]
        .concat(),
        [&["req"][..], &ec, &["-subj", "/CN=localhost"]].concat(),
        vec!["x509", "-req", "-days", "1", "-CAcreateserial"],
    ];
    let run = |args: &[&str], extra: &[String]| {
        Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .args(extra)
            .output()
            .map(|output| output.status.success())
            .unwrap_or(false)
    };
    let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .is_ok()
        && run(
            &steps[0],
            &strings(&["-keyout", "ca.key", "-out", "ca.pem"]),
        )
        && run(
            &steps[1],
            &strings(&["-keyout", "key.pem", "-out", "server.csr"]),
        )
        && run(
            &steps[2],
            &strings(&[
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-extfile",
                "san.ext",
                "-out",
                "cert.pem",
            ]),
        )
}

/// An HTTPS server answering every request with a token response; returns its port.
fn serve(dir: &Path) -> u16 {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("cert.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("key.pem")).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = config.clone();
            std::thread::spawn(move || {
                let connection = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(connection, stream);
                loop {
                    let mut reader = BufReader::new(&mut tls);
                    let mut length = 0;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some(value) =
                            line.to_ascii_lowercase().strip_prefix("content-length:")
                        {
                            length = value.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let answer = r#"{"access_token":"tls-token","expires_in":3600}"#;
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                    if tls.write_all(response.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

fn client(port: u16, ca_bundle: Option<&Path>, client_id: &str) -> Client {
    let url = format!("https://localhost:{port}/token");
    let mut builder = ConfigBuilder::new();
    for (key, value) in [
        ("client_id", client_id),
        ("client_secret", "tls-secret"),
        ("token_endpoint", url.as_str()),
        ("access_token_endpoint", url.as_str()),
        ("max_retries", "0"),
    ] {
        builder.set(key, value).unwrap();
    }
    if let Some(path) = ca_bundle {
        builder
            .set("ca_bundle_path", path.to_str().unwrap())
            .unwrap();
    }
    Client::new(builder.build_with_env(|_| None).unwrap()).unwrap()
}

#[test]
fn custom_ca_is_trusted_and_verification_is_never_skipped() {
    let dir = std::env::temp_dir().join(format!("wi-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    if !make_certificates(&dir) {
        eprintln!("openssl could not make a certificate; skipping");
        return;
    }
    let port = serve(&dir);
    let trusted = client(port, Some(&dir.join("ca.pem")), "tls-trusted");
    assert_eq!(trusted.access_token().unwrap().expose(), "tls-token");

    let error = client(port, None, "tls-untrusted")
        .access_token()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenRetrieval);
    assert!(
        error.to_string().contains("TLS") || error.to_string().contains("certificate"),
        "{error}"
    );
    assert!(
        !error.is_retryable(),
        "a certificate failure does not go away by retrying"
    );
    println!("without the CA: {error}");
    std::fs::remove_dir_all(&dir).ok();
}
