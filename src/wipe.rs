//! Wiping the copies of secrets that the HTTP stack makes: the connection
//! buffers (the request with its client secret or bearer token, the response
//! with its tokens), the `Authorization` header value, and the response body.
//! The library's own values are `SecretString`s and `Zeroizing` buffers; this
//! module covers what ureq and `http` would otherwise free without wiping,
//! and the strings of parsed JSON ([`wipe_json`]), which serde_json frees
//! without wiping.
//!
//! Not covered: rustls's own plaintext buffers (https) and serde_json's
//! scratch buffer, which holds a string of a response only when the string
//! has JSON escapes in it.

use std::io::Read;

use serde_json::Value;
use ureq::http::HeaderValue;
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};
use zeroize::{Zeroize, Zeroizing};

/// Wipes every string in `value` (tokens, credentials, env-var values),
/// however deep.
pub(crate) fn wipe_json(value: &mut Value) {
    match value {
        Value::String(text) => text.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe_json),
        Value::Object(map) => map.values_mut().for_each(wipe_json),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// The last link of the connector chain: wraps each connection so that its
/// buffers are wiped when it is dropped (closed, or evicted from the pool).
#[derive(Debug, Default)]
pub(crate) struct WipingConnector;

impl Connector<Box<dyn Transport>> for WipingConnector {
    type Out = WipedTransport;

    fn connect(
        &self,
        _: &ConnectionDetails,
        chained: Option<Box<dyn Transport>>,
    ) -> Result<Option<WipedTransport>, ureq::Error> {
        Ok(chained.map(WipedTransport))
    }
}

/// A connection whose input and output buffers are overwritten on drop.
#[derive(Debug)]
pub(crate) struct WipedTransport(Box<dyn Transport>);

impl Transport for WipedTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.0.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.0.transmit_output(amount, timeout)
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.0.maybe_await_input(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.0.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.0.is_open()
    }

    fn is_tls(&self) -> bool {
        self.0.is_tls()
    }
}

impl Drop for WipedTransport {
    fn drop(&mut self) {
        let buffers = self.0.buffers();
        buffers.output().zeroize();
        // Once everything is consumed, the free part is the whole input buffer.
        let unconsumed = buffers.input().len();
        buffers.input_consume(unconsumed);
        buffers.input_append_buf().zeroize();
    }
}

/// A header value whose bytes are wiped when `http` drops it (it would free
/// its own copy unwiped); `None` if `value` is not a valid header value.
pub(crate) fn header_value(value: &str) -> Option<HeaderValue> {
    let mut owned = Zeroizing::new(Vec::with_capacity(value.len()));
    owned.extend_from_slice(value.as_bytes());
    HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(owned)).ok()
}

/// Reads `reader` to its end into a wiped buffer of at most `limit` bytes
/// (more is an error of the reader). Sized from `expected` (Content-Length)
/// when known; a buffer that must grow is copied into a larger one and wiped,
/// so no partial copy is left behind.
pub(crate) fn read_to_end(
    mut reader: impl Read,
    expected: Option<u64>,
    limit: u64,
) -> std::io::Result<Zeroizing<Vec<u8>>> {
    let initial = expected.unwrap_or(8 * 1024).clamp(1, limit.max(1));
    let mut buffer = Zeroizing::new(vec![0_u8; initial as usize]);
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            let mut larger = Zeroizing::new(vec![0_u8; buffer.len() * 2]);
            larger[..filled].copy_from_slice(&buffer[..filled]);
            buffer = larger;
        }
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    buffer.truncate(filled);
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_whole_bodies_of_any_size() {
        for size in [0, 1, 100, 8 * 1024, 8 * 1024 + 1, 100_000] {
            let body: Vec<u8> = (0..size).map(|index| index as u8).collect();
            for expected in [None, Some(size as u64), Some(3)] {
                let read = read_to_end(&body[..], expected, 1 << 20).unwrap();
                assert_eq!(&read[..], &body[..], "{size} {expected:?}");
            }
        }
    }

    #[test]
    fn header_values_are_checked() {
        assert_eq!(header_value("Bearer a.b-c").unwrap(), "Bearer a.b-c");
        assert!(header_value("Bearer a\r\nX: y").is_none());
    }
}
