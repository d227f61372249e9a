//! An entry's key, name and bytes.
//!
//! Key derivation (HMAC-SHA256 throughout; each part framed by its length, so
//! that `("ab", "c")` and `("a", "bc")` differ):
//! - `root  = HMAC("workload-identity token store v1", secret parts)`: the
//!   credentials alone, so that nothing below can be computed without them;
//! - `entry = HMAC(root, identity parts)`: the non-secret settings;
//! - file name = hex `HMAC(entry, "file name")`; MAC of the content =
//!   `HMAC(entry, json)`; exchanged-token key = hex
//!   `HMAC(entry, "exchange" + parameters)`. The three messages cannot collide
//!   (the JSON starts with `{`).
//!
//! File layout: the line `wi-token-store 1 <hex MAC>` then one JSON object:
//! `{"access_token":T|null,"refresh_token":"..."|null,"exchanged":[{"key":"...",T...}]}`
//! where a token T is `"token"`, `"issued_at_unix_ms"`, `"expires_at_unix_ms"`,
//! `"refresh_at_unix_ms"` (number or null). The MAC is checked before the JSON
//! is parsed: a foreign or damaged entry is never parsed at all.

use std::io::{self, Write};

use ring::hmac;
use serde_json::{Map, Value};
use zeroize::{Zeroize, Zeroizing};

use crate::secret::SecretString;
use crate::store::{StoredExchange, StoredToken, StoredTokens};
use crate::wipe::wipe_json;

/// The first line's fixed part; the MAC follows, then a newline.
const MAGIC: &[u8] = b"wi-token-store 1 ";
const MAC_HEX_LEN: usize = 64;

/// The keys of one identity's entry. `Debug` shows nothing of them.
pub(crate) struct EntryKey {
    entry: hmac::Key,
}

impl std::fmt::Debug for EntryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EntryKey([redacted])")
    }
}

fn framed(context: &mut hmac::Context, parts: &[&[u8]]) {
    for part in parts {
        context.update(&(part.len() as u64).to_be_bytes());
        context.update(part);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl EntryKey {
    /// The key of the identity made of `identity` (settings, in a fixed order) and
    /// `secrets` (every credential, in a fixed order).
    pub(crate) fn derive(identity: &[&[u8]], secrets: &[&[u8]]) -> EntryKey {
        let label = hmac::Key::new(hmac::HMAC_SHA256, b"workload-identity token store v1");
        let mut context = hmac::Context::with_key(&label);
        framed(&mut context, secrets);
        let root = Zeroizing::new(context.sign().as_ref().to_vec());
        let mut context = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, &root));
        framed(&mut context, identity);
        let entry = Zeroizing::new(context.sign().as_ref().to_vec());
        EntryKey {
            entry: hmac::Key::new(hmac::HMAC_SHA256, &entry),
        }
    }

    /// The entry's file name: 64 hex digits.
    pub(crate) fn file_name(&self) -> String {
        hex(hmac::sign(&self.entry, b"file name").as_ref())
    }

    /// A key for an exchanged token: 64 hex digits, the same for the same
    /// parameters under this identity, revealing nothing of them.
    pub(crate) fn exchange_key(&self, parameters: &[&[u8]]) -> String {
        let mut context = hmac::Context::with_key(&self.entry);
        context.update(b"exchange");
        framed(&mut context, parameters);
        hex(context.sign().as_ref())
    }

    /// The file's bytes for `tokens`, in a buffer sized exactly (never
    /// reallocated, so no unwiped copy is left behind) and wiped on drop.
    pub(crate) fn seal(&self, tokens: &StoredTokens) -> Zeroizing<Vec<u8>> {
        let mut counter = Counter(0);
        write_json(&mut counter, tokens).expect("counting never fails");
        let mut json = Zeroizing::new(Vec::with_capacity(counter.0));
        write_json(&mut *json, tokens).expect("writing to a Vec never fails");
        self.frame(&json)
    }

    /// The file's bytes for the content `json`: the first line with its MAC,
    /// then `json`. Sized exactly and wiped on drop, as [`EntryKey::seal`]'s.
    /// The fuzz targets frame arbitrary content with it, so that [`EntryKey::open`]
    /// gets past the MAC to the content's decoding.
    pub(crate) fn frame(&self, json: &[u8]) -> Zeroizing<Vec<u8>> {
        let mac = hmac::sign(&self.entry, json);
        let mut bytes = Zeroizing::new(Vec::with_capacity(
            MAGIC.len() + MAC_HEX_LEN + 1 + json.len(),
        ));
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(hex(mac.as_ref()).as_bytes());
        bytes.push(b'\n');
        bytes.extend_from_slice(json);
        bytes
    }

    /// The tokens of a file's bytes; `None` when the bytes are not an entry of
    /// this identity (corrupt, truncated, foreign, another version).
    pub(crate) fn open(&self, bytes: &[u8]) -> Option<StoredTokens> {
        let rest = bytes.strip_prefix(MAGIC)?;
        let (mac_hex, rest) = rest.split_at_checked(MAC_HEX_LEN)?;
        let json = rest.strip_prefix(b"\n")?;
        let mac = unhex(mac_hex)?;
        hmac::verify(&self.entry, json, &mac).ok()?;
        let mut value: Value = serde_json::from_slice(json).ok()?;
        let tokens = parse(&mut value);
        wipe_json(&mut value);
        tokens
    }
}

fn unhex(text: &[u8]) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let digit = |c: u8| (c as char).to_digit(16);
        *byte = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(out)
}

/// Counts what is written: sizes the real buffer in advance.
struct Counter(usize);

impl Write for Counter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Written by hand (no serde_json::Value): a Value would copy every token into
/// strings that are not wiped.
fn write_json(out: &mut impl Write, tokens: &StoredTokens) -> io::Result<()> {
    out.write_all(b"{\"access_token\":")?;
    match &tokens.access_token {
        Some(token) => {
            out.write_all(b"{")?;
            write_token(out, token)?;
            out.write_all(b"}")?;
        }
        None => out.write_all(b"null")?,
    }
    out.write_all(b",\"refresh_token\":")?;
    match &tokens.refresh_token {
        Some(token) => write_string(out, token.expose())?,
        None => out.write_all(b"null")?,
    }
    out.write_all(b",\"exchanged\":[")?;
    for (index, exchanged) in tokens.exchanged.iter().enumerate() {
        if index > 0 {
            out.write_all(b",")?;
        }
        out.write_all(b"{\"key\":")?;
        write_string(out, &exchanged.key)?;
        out.write_all(b",")?;
        write_token(out, &exchanged.token)?;
        out.write_all(b"}")?;
    }
    out.write_all(b"]")?;
    if let Some(until) = tokens.failed_until_unix_ms {
        write!(out, ",\"failed_until_unix_ms\":{until}")?;
    }
    out.write_all(b"}")
}

fn write_token(out: &mut impl Write, token: &StoredToken) -> io::Result<()> {
    out.write_all(b"\"token\":")?;
    write_string(out, token.token.expose())?;
    write!(
        out,
        ",\"issued_at_unix_ms\":{},\"expires_at_unix_ms\":{},\"refresh_at_unix_ms\":",
        token.issued_at_unix_ms, token.expires_at_unix_ms
    )?;
    match token.refresh_at_unix_ms {
        Some(refresh_at) => write!(out, "{refresh_at}"),
        None => out.write_all(b"null"),
    }
}

/// A JSON string, escaped straight into `out` (no intermediate copy).
fn write_string(out: &mut impl Write, text: &str) -> io::Result<()> {
    serde_json::to_writer(out, text).map_err(io::Error::other)
}

/// The tokens of a parsed entry; their strings are moved out of `value`, not
/// copied, so that wiping `value` and dropping the tokens leaves no copy.
fn parse(value: &mut Value) -> Option<StoredTokens> {
    let map = value.as_object_mut()?;
    let access_token = match map.get_mut("access_token")? {
        Value::Null => None,
        token => Some(take_token(token.as_object_mut()?)?),
    };
    let refresh_token = match map.get_mut("refresh_token")? {
        Value::Null => None,
        token => Some(take_secret(token)?),
    };
    let mut exchanged = Vec::new();
    for item in map.get_mut("exchanged")?.as_array_mut()? {
        let item = item.as_object_mut()?;
        let key = item.get("key")?.as_str()?.to_owned();
        exchanged.push(StoredExchange {
            key,
            token: take_token(item)?,
        });
    }
    let failed_until_unix_ms = map.get("failed_until_unix_ms").and_then(Value::as_i64);
    Some(StoredTokens {
        access_token,
        refresh_token,
        exchanged,
        failed_until_unix_ms,
    })
}

fn take_token(map: &mut Map<String, Value>) -> Option<StoredToken> {
    let number = |name: &str| map.get(name).and_then(Value::as_i64);
    let issued_at_unix_ms = number("issued_at_unix_ms")?;
    let expires_at_unix_ms = number("expires_at_unix_ms")?;
    let refresh_at_unix_ms = match map.get("refresh_at_unix_ms")? {
        Value::Null => None,
        other => Some(other.as_i64()?),
    };
    Some(StoredToken {
        token: take_secret(map.get_mut("token")?)?,
        issued_at_unix_ms,
        expires_at_unix_ms,
        refresh_at_unix_ms,
    })
}

/// Moves a non-empty string out of `value` (leaving null behind).
fn take_secret(value: &mut Value) -> Option<SecretString> {
    match value.take() {
        Value::String(text) if !text.is_empty() => Some(SecretString::new(text)),
        Value::String(mut text) => {
            text.zeroize();
            None
        }
        mut other => {
            wipe_json(&mut other);
            None
        }
    }
}
