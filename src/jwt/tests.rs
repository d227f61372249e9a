//! Keys made by the openssl CLI at test time, in every accepted encoding and in
//! every refused shape; every signature checked by `openssl dgst -verify`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use super::{client_assertion, SigningKey};

static KEYS: OnceLock<PathBuf> = OnceLock::new();

/// Removes the key directory when the test binary exits.
extern "C" fn remove_keys() {
    if let Some(dir) = KEYS.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A directory of keys, made once per test run, removed at exit.
fn keys() -> &'static Path {
    KEYS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("wi-jwt-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // SAFETY: a plain function pointer; atexit runs it once, after the tests.
        unsafe { libc::atexit(remove_keys) };
        // RSA in PKCS#8 and PKCS#1, P-256 in PKCS#8 and SEC1 (`ecparam -genkey`
        // also writes an EC PARAMETERS block before the key), then refused shapes.
        let commands = [
            "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa-pkcs8.pem",
            "rsa -in rsa-pkcs8.pem -traditional -out rsa-pkcs1.pem",
            "pkey -in rsa-pkcs8.pem -pubout -out rsa-public.pem",
            "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec-pkcs8.pem",
            "ec -in ec-pkcs8.pem -out ec-sec1.pem",
            "pkey -in ec-pkcs8.pem -pubout -out ec-public.pem",
            "ecparam -name prime256v1 -genkey -out ec-sec1-with-parameters.pem",
            "pkey -in ec-sec1-with-parameters.pem -pubout -out ec-with-parameters-public.pem",
            "ec -in ec-pkcs8.pem -no_public -out ec-sec1-no-public.pem",
            "pkcs8 -topk8 -in rsa-pkcs8.pem -passout pass:pw -out encrypted-pkcs8.pem",
            "rsa -in rsa-pkcs8.pem -traditional -aes128 -passout pass:pw -out encrypted-legacy.pem",
            "req -x509 -key rsa-pkcs8.pem -subj /CN=test -days 1 -out certificate.pem",
            "genpkey -algorithm ED25519 -out ed25519.pem",
            "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384-pkcs8.pem",
            "ec -in p384-pkcs8.pem -out p384-sec1.pem",
            "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa-1024.pem",
        ];
        for command in commands {
            let args: Vec<&str> = command.split(' ').collect();
            let output = Command::new("openssl")
                .args(&args)
                .current_dir(&dir)
                .output()
                .expect("the openssl command is needed by these tests");
            assert!(
                output.status.success(),
                "openssl {command}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let write = |name: &str, content: &[u8]| std::fs::write(dir.join(name), content).unwrap();
        write("empty.pem", b"");
        write("blank.pem", b" \n\n");
        write("garbage.pem", b"\x00\x01 this is not a key \xff\n");
        write("huge.pem", &vec![b'A'; 100 * 1024]);
        write(
            "unterminated.pem",
            b"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n",
        );
        let rsa = std::fs::read_to_string(dir.join("rsa-pkcs8.pem")).unwrap();
        let ec = std::fs::read_to_string(dir.join("ec-pkcs8.pem")).unwrap();
        write("two-keys.pem", format!("{rsa}{ec}").as_bytes());
        let certificate = std::fs::read_to_string(dir.join("certificate.pem")).unwrap();
        write(
            "certificate-and-key.pem",
            format!("{certificate}{rsa}").as_bytes(),
        );
        dir
    })
}

fn load(name: &str) -> Result<SigningKey, crate::Error> {
    SigningKey::load(&keys().join(name))
}

/// Runs `openssl dgst -sha256 -verify` over `message` and the JWS `signature`.
fn openssl_verifies(public_key: &str, algorithm: &str, message: &[u8], signature: &[u8]) -> bool {
    let dir = keys();
    let unique = format!("{}-{}", std::process::id(), random_suffix());
    let message_path = dir.join(format!("message-{unique}"));
    let signature_path = dir.join(format!("signature-{unique}"));
    std::fs::write(&message_path, message).unwrap();
    let signature = match algorithm {
        "ES256" => {
            assert_eq!(signature.len(), 64, "ES256 signatures are R || S, 64 bytes");
            ecdsa_der(signature)
        }
        _ => signature.to_vec(),
    };
    std::fs::write(&signature_path, signature).unwrap();
    let status = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(dir.join(public_key))
        .arg("-signature")
        .arg(&signature_path)
        .arg(&message_path)
        .output()
        .unwrap()
        .status;
    let _ = std::fs::remove_file(message_path);
    let _ = std::fs::remove_file(signature_path);
    status.success()
}

fn random_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// R || S as the DER ECDSA-Sig-Value openssl verifies.
fn ecdsa_der(signature: &[u8]) -> Vec<u8> {
    let integer = |half: &[u8]| {
        let trimmed: Vec<u8> = half.iter().copied().skip_while(|&byte| byte == 0).collect();
        let mut out = vec![0x02];
        if trimmed.first().map_or(true, |&byte| byte & 0x80 != 0) {
            out.push(trimmed.len() as u8 + 1);
            out.push(0);
        } else {
            out.push(trimmed.len() as u8);
        }
        out.extend(trimmed);
        out
    };
    let body = [integer(&signature[..32]), integer(&signature[32..])].concat();
    [vec![0x30, body.len() as u8], body].concat()
}

fn decode_part(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn check_assertion(private_key: &str, public_key: &str, algorithm: &str) {
    let key = load(private_key).unwrap_or_else(|error| panic!("{private_key}: {error}"));
    assert_eq!(key.algorithm(), algorithm);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let endpoint = "https://login.example.com/oauth/token";
    let assertion = client_assertion(&key, Some("key-1"), "client \"42\"", endpoint, now).unwrap();
    let parts: Vec<&str> = assertion.expose().split('.').collect();
    assert_eq!(parts.len(), 3);
    assert!(parts.iter().all(|part| !part.contains('=')), "no padding");
    let header = decode_part(parts[0]);
    assert_eq!(header["alg"], algorithm);
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["kid"], "key-1");
    let claims = decode_part(parts[1]);
    assert_eq!(claims["iss"], "client \"42\"");
    assert_eq!(claims["sub"], "client \"42\"");
    assert_eq!(claims["aud"], endpoint);
    assert_eq!(claims["iat"], 1_700_000_000);
    assert_eq!(claims["exp"], 1_700_000_060);
    let jti = claims["jti"].as_str().unwrap();
    assert!(
        URL_SAFE_NO_PAD.decode(jti).unwrap().len() >= 16,
        "jti of 128 bits or more"
    );
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let signing_input = format!("{}.{}", parts[0], parts[1]);
    assert!(
        openssl_verifies(public_key, algorithm, signing_input.as_bytes(), &signature),
        "{private_key}: openssl rejects the signature"
    );
    let mut tampered = signing_input.into_bytes();
    tampered[0] ^= 1;
    assert!(!openssl_verifies(
        public_key, algorithm, &tampered, &signature
    ));
}

#[test]
fn rsa_keys_in_pkcs8_and_pkcs1_sign_rs256() {
    check_assertion("rsa-pkcs8.pem", "rsa-public.pem", "RS256");
    check_assertion("rsa-pkcs1.pem", "rsa-public.pem", "RS256");
}

#[test]
fn p256_keys_in_pkcs8_and_sec1_sign_es256_in_jws_form() {
    check_assertion("ec-pkcs8.pem", "ec-public.pem", "ES256");
    check_assertion("ec-sec1.pem", "ec-public.pem", "ES256");
    check_assertion(
        "ec-sec1-with-parameters.pem",
        "ec-with-parameters-public.pem",
        "ES256",
    );
}

#[test]
fn a_certificate_before_the_key_is_skipped() {
    check_assertion("certificate-and-key.pem", "rsa-public.pem", "RS256");
}

#[test]
fn no_kid_without_a_key_id_and_never_the_same_jti() {
    let key = load("ec-pkcs8.pem").unwrap();
    let now = SystemTime::now();
    let mut seen = HashSet::new();
    for _ in 0..1000 {
        let assertion =
            client_assertion(&key, None, "client", "https://a.example/token", now).unwrap();
        let parts: Vec<&str> = assertion.expose().split('.').collect();
        assert!(decode_part(parts[0]).get("kid").is_none());
        let jti = decode_part(parts[1])["jti"].as_str().unwrap().to_owned();
        assert!(seen.insert(jti), "a jti was repeated");
    }
}

#[test]
fn a_clock_before_1970_is_an_error() {
    let key = load("ec-pkcs8.pem").unwrap();
    let before = SystemTime::UNIX_EPOCH - Duration::from_secs(1);
    let error =
        client_assertion(&key, None, "client", "https://a.example/token", before).unwrap_err();
    assert!(error.message().contains("1970"), "{error}");
}

/// Every 12-character run of a key file's base64 lines: none may show up anywhere.
fn key_fragments(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(keys().join(name)).unwrap_or_default();
    text.lines()
        .filter(|line| !line.starts_with("-----") && !line.contains(':'))
        .flat_map(|line| {
            let chars: Vec<char> = line.chars().collect();
            chars
                .windows(12)
                .map(|window| window.iter().collect::<String>())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn assert_refused(name: &str, expected: &str) {
    let error = load(name).expect_err(name);
    assert_eq!(error.kind(), crate::ErrorKind::Configuration, "{name}");
    let shown = format!("{error} {error:?}");
    assert!(
        shown.contains(&keys().join(name).display().to_string()),
        "{name}: {shown}"
    );
    assert!(
        shown.contains(expected),
        "{name}: expected {expected:?} in {shown}"
    );
    for fragment in key_fragments(name) {
        assert!(
            !shown.contains(&fragment),
            "{name}: key material in {shown}"
        );
    }
}

#[test]
fn unusable_files_are_refused_naming_the_path_not_the_key() {
    assert_refused("encrypted-pkcs8.pem", "encrypted");
    assert_refused("encrypted-legacy.pem", "encrypted");
    assert_refused("certificate.pem", "no private key (found CERTIFICATE)");
    assert_refused("rsa-public.pem", "no private key (found PUBLIC KEY)");
    assert_refused("ed25519.pem", "Ed25519 key");
    assert_refused("p384-pkcs8.pem", "on P-384");
    assert_refused("p384-sec1.pem", "on P-384");
    assert_refused("rsa-1024.pem", "shorter than 2048 bits");
    assert_refused("ec-sec1-no-public.pem", "without its public key");
    assert_refused("two-keys.pem", "more than one private key");
    assert_refused("garbage.pem", "is not PEM");
    assert_refused("unterminated.pem", "not valid PEM");
    assert_refused("empty.pem", "is empty");
    assert_refused("blank.pem", "is empty");
    assert_refused("huge.pem", "larger than 64 KiB");
    assert_refused("does-not-exist.pem", "cannot be read");
    assert_refused(".", "is a directory");
    assert_refused("rsa-pkcs8.pem/inner.pem", "cannot be read (Not a directory");
}

#[test]
fn an_unreadable_file_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let path = keys().join("unreadable.pem");
    std::fs::copy(keys().join("rsa-pkcs8.pem"), &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads any file: then only the message of the readable case is checked.
    if unsafe { libc::geteuid() } != 0 {
        assert_refused("unreadable.pem", "cannot be read (Permission denied");
    } else {
        assert!(load("unreadable.pem").is_ok());
    }
}

#[test]
fn debug_shows_no_key_material() {
    for name in [
        "rsa-pkcs8.pem",
        "rsa-pkcs1.pem",
        "ec-pkcs8.pem",
        "ec-sec1.pem",
    ] {
        let key = load(name).unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains("redacted"), "{shown}");
        assert!(shown.len() < 40, "{shown}");
        for fragment in key_fragments(name) {
            assert!(!shown.contains(&fragment), "{name}: {shown}");
        }
    }
}

#[test]
fn the_secret_digest_tells_keys_apart() {
    let rsa = load("rsa-pkcs8.pem").unwrap();
    let ec = load("ec-pkcs8.pem").unwrap();
    assert_ne!(rsa.secret_digest(), ec.secret_digest());
    assert_eq!(
        rsa.secret_digest(),
        load("rsa-pkcs8.pem").unwrap().secret_digest()
    );
}
