//! PEM (RFC 7468, with the RFC 1421 headers of OpenSSL's legacy encrypted keys)
//! decoded into buffers that are wiped on drop.
//!
//! Hand-written rather than `rustls_pki_types::pem`: that parser keeps the base64
//! text of a key in a buffer it does not wipe, and reads `Proc-Type` headers as
//! base64 (so an encrypted legacy key would be "malformed", not "encrypted").

use base64::Engine;
use zeroize::{Zeroize, Zeroizing};

/// One `-----BEGIN <label>-----` ... `-----END <label>-----` block.
pub(crate) struct PemBlock {
    /// The label, e.g. `PRIVATE KEY`.
    pub(crate) label: String,
    /// A `Proc-Type: 4,ENCRYPTED` header was present (OpenSSL's legacy encryption).
    pub(crate) encrypted: bool,
    /// The decoded body.
    pub(crate) der: Zeroizing<Vec<u8>>,
}

/// Why a text is not well-formed PEM. Never holds any of the text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PemError {
    /// A `BEGIN` line with no matching `END` line.
    Unterminated,
    /// The body of a block is not base64.
    BadBase64,
}

/// Every block of `text`, in order; text outside blocks is ignored (as OpenSSL
/// does: PKCS#12 exports put "Bag Attributes" lines there). No block at all is
/// an empty list.
pub(crate) fn decode(text: &[u8]) -> Result<Vec<PemBlock>, PemError> {
    let mut blocks = Vec::new();
    // Capacity of the whole text: the body never outgrows it, so it is never
    // reallocated (which would leave an unwiped copy behind).
    let mut body = Zeroizing::new(Vec::with_capacity(text.len()));
    let mut open: Option<(String, bool)> = None;
    for line in text.split(|&byte| byte == b'\n') {
        let line = line.trim_ascii();
        match &mut open {
            None => {
                if let Some(label) = boundary(line, b"-----BEGIN ") {
                    open = Some((label, false));
                }
            }
            Some((label, encrypted)) => {
                if let Some(end) = boundary(line, b"-----END ") {
                    if end != *label {
                        return Err(PemError::Unterminated);
                    }
                    let der = decode_body(&body)?;
                    body.zeroize();
                    let (label, encrypted) = open.take().unwrap_or_default();
                    blocks.push(PemBlock {
                        label,
                        encrypted,
                        der,
                    });
                } else if let Some(colon) = line.iter().position(|&byte| byte == b':') {
                    // An RFC 1421 header ("Proc-Type: 4,ENCRYPTED", "DEK-Info: ...").
                    let (name, value) = line.split_at(colon);
                    if name.eq_ignore_ascii_case(b"Proc-Type")
                        && value.windows(9).any(|word| word == b"ENCRYPTED")
                    {
                        *encrypted = true;
                    }
                } else {
                    body.extend(line.iter().filter(|byte| !byte.is_ascii_whitespace()));
                }
            }
        }
    }
    match open {
        Some(_) => Err(PemError::Unterminated),
        None => Ok(blocks),
    }
}

/// The label of a `-----BEGIN label-----` (or END) line.
fn boundary(line: &[u8], prefix: &[u8]) -> Option<String> {
    let label = line.strip_prefix(prefix)?.strip_suffix(b"-----")?;
    let printable = label
        .iter()
        .all(|&byte| byte == b' ' || byte.is_ascii_graphic());
    (printable && label.len() <= 64).then(|| String::from_utf8_lossy(label).into_owned())
}

fn decode_body(body: &[u8]) -> Result<Zeroizing<Vec<u8>>, PemError> {
    let engine = &base64::engine::general_purpose::STANDARD;
    let mut der = Zeroizing::new(vec![0; base64::decoded_len_estimate(body.len())]);
    let length = engine
        .decode_slice(body, &mut der[..])
        .map_err(|_| PemError::BadBase64)?;
    der.truncate(length);
    Ok(der)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_labels_headers_and_surrounding_text() {
        let text = b"Bag Attributes\n-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\r\n\
            -----BEGIN RSA PRIVATE KEY-----\r\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAEC\nAw==\n-----END RSA PRIVATE KEY-----\n";
        let blocks = decode(text).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, "EC PARAMETERS");
        assert!(!blocks[0].encrypted);
        assert_eq!(
            &blocks[0].der[..],
            b"\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07"
        );
        assert_eq!(blocks[1].label, "RSA PRIVATE KEY");
        assert!(blocks[1].encrypted);
        assert_eq!(&blocks[1].der[..], &[0, 1, 2, 3]);
    }

    #[test]
    fn malformed_and_absent() {
        assert!(decode(b"just text\n").unwrap().is_empty());
        assert!(decode(b"").unwrap().is_empty());
        assert_eq!(
            decode(b"-----BEGIN PRIVATE KEY-----\nAAAA\n").err(),
            Some(PemError::Unterminated)
        );
        assert_eq!(
            decode(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END CERTIFICATE-----\n").err(),
            Some(PemError::Unterminated)
        );
        assert_eq!(
            decode(b"-----BEGIN PRIVATE KEY-----\nA*AA\n-----END PRIVATE KEY-----\n").err(),
            Some(PemError::BadBase64)
        );
    }
}
