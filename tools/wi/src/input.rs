//! Secret inputs (the client secret, subject and actor tokens): read from a
//! file or standard input, never taken from the command line (which other
//! users see through `ps` and `/proc`), and held as [`SecretString`]s.

use std::fs;
use std::io::{self, Read};
use std::path::PathBuf;

use workload_identity::SecretString;

/// Where one secret input comes from.
pub enum SecretSource {
    /// Read from this file (a pipe such as `<(command)` works too).
    File(PathBuf),
    /// Read from standard input, to its end.
    Stdin,
}

impl SecretSource {
    /// Whether this source consumes standard input.
    pub fn is_stdin(&self) -> bool {
        matches!(self, SecretSource::Stdin)
    }

    /// Reads the secret, dropping trailing line breaks; `what` names it in errors.
    /// An empty result is an error: it is never what the caller meant.
    pub fn read(self, what: &str) -> Result<SecretString, String> {
        let (mut text, origin) = match self {
            SecretSource::File(path) => {
                let shown = path.display();
                let bytes = fs::read(&path)
                    .map_err(|error| format!("cannot read {what} file {shown}: {error}"))?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| format!("{what} file {shown} is not valid UTF-8"))?;
                (text, shown.to_string())
            }
            SecretSource::Stdin => {
                let mut text = String::new();
                io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|error| format!("cannot read {what} from standard input: {error}"))?;
                (text, "standard input".to_owned())
            }
        };
        let kept = text.trim_end_matches(['\r', '\n']).len();
        text.truncate(kept);
        let secret = SecretString::new(text);
        if secret.is_empty() {
            return Err(format!("{what} from {origin} is empty"));
        }
        Ok(secret)
    }
}
