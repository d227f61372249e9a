//! Writing results to standard output: plain lines and small JSON documents.

use std::io::{self, Write};

use crate::failure::Failure;

/// A JSON member value.
pub enum Json<'a> {
    /// A string.
    Text(&'a str),
    /// A string, or `null` when absent.
    Optional(Option<&'a str>),
    /// A non-negative integer.
    Number(u64),
}

/// Runs `write` on locked stdout and flushes; a closed or full stdout is a [`Failure::Io`].
pub fn emit(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Failure> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(|error| Failure::Io(format!("cannot write to standard output: {error}")))
}

/// Writes `{"name":value,...}` and a newline. Values are written piece by piece,
/// so no extra copy of a token is made.
pub fn object(out: &mut dyn Write, members: &[(&str, Json<'_>)]) -> io::Result<()> {
    out.write_all(b"{")?;
    for (index, (name, value)) in members.iter().enumerate() {
        if index > 0 {
            out.write_all(b",")?;
        }
        string(out, name)?;
        out.write_all(b":")?;
        match value {
            Json::Text(text) | Json::Optional(Some(text)) => string(out, text)?,
            Json::Optional(None) => out.write_all(b"null")?,
            Json::Number(number) => write!(out, "{number}")?,
        }
    }
    out.write_all(b"}\n")
}

/// Writes `text` as a JSON string literal (RFC 8259 escaping; UTF-8 kept as is).
pub fn string(out: &mut dyn Write, text: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    let mut plain_from = 0;
    for (index, c) in text.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if c < ' ' => "",
            _ => continue,
        };
        out.write_all(&text.as_bytes()[plain_from..index])?;
        if escape.is_empty() {
            write!(out, "\\u{:04x}", c as u32)?;
        } else {
            out.write_all(escape.as_bytes())?;
        }
        plain_from = index + c.len_utf8();
    }
    out.write_all(&text.as_bytes()[plain_from..])?;
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(members: &[(&str, Json<'_>)]) -> String {
        let mut out = Vec::new();
        object(&mut out, members).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_strings_and_writes_nulls_and_numbers() {
        let text = render(&[
            ("a", Json::Text("q\"b\\n\nt\té\u{1}")),
            ("b", Json::Optional(None)),
            ("c", Json::Number(3600)),
        ]);
        assert_eq!(
            text,
            "{\"a\":\"q\\\"b\\\\n\\nt\\té\\u0001\",\"b\":null,\"c\":3600}\n"
        );
    }
}
