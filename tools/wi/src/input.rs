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

/// Where a token given by `FLAG-file PATH` or `FLAG-stdin` comes from, if it
/// was given (`flag` is e.g. `--subject-token`); a usage error when it was
/// given as a value (`FLAG VALUE`, `given_as_value`), which is never taken.
pub fn token_source(
    flag: &str,
    given_as_value: bool,
    file: Option<PathBuf>,
    stdin: bool,
) -> Result<Option<SecretSource>, String> {
    if given_as_value {
        return Err(refuse_token(flag));
    }
    Ok(match (file, stdin) {
        (Some(path), _) => Some(SecretSource::File(path)),
        (None, true) => Some(SecretSource::Stdin),
        (None, false) => None,
    })
}

/// A usage error when two of `readers` (whether it reads standard input, and
/// its flag) would read standard input: it holds one input only.
pub fn one_stdin_reader(readers: &[(bool, &str)]) -> Result<(), String> {
    let mut flags = readers
        .iter()
        .filter(|(reads, _)| *reads)
        .map(|(_, flag)| flag);
    match (flags.next(), flags.next()) {
        (Some(first), Some(second)) => Err(format!(
            "{first} and {second} cannot both read standard input: give one a file"
        )),
        _ => Ok(()),
    }
}

/// The token an OAuth operation acts on (`wi introspect`, `wi revoke`): from
/// a file or standard input, never from the command line. Owned by one command.
#[derive(clap::Args)]
#[command(next_help_heading = "Token")]
pub struct TokenInput {
    /// Read the token from PATH (a pipe such as <(command) works too)
    #[arg(long, value_name = "PATH", conflicts_with = "token_stdin")]
    token_file: Option<PathBuf>,

    /// Read the token from standard input
    #[arg(long)]
    token_stdin: bool,

    /// Refused with an explanation (never a token in argv).
    #[arg(long, hide = true, num_args = 0..=1, value_name = "TOKEN")]
    token: Option<Option<String>>,
}

impl TokenInput {
    /// Where the token comes from; a usage error when it was given as a
    /// value, or not at all (`command` names the command in the message).
    pub fn source(&self, command: &str) -> Result<SecretSource, String> {
        token_source(
            "--token",
            self.token.is_some(),
            self.token_file.clone(),
            self.token_stdin,
        )?
        .ok_or_else(|| {
            format!(
                "missing the token: give --token-file PATH or --token-stdin (see `wi {command} --help`)"
            )
        })
    }
}

/// Why a token is never taken as a flag value (`flag` is e.g. `--token`);
/// never echoes it.
pub fn refuse_token(flag: &str) -> String {
    format!(
        "{flag} is refused: a token on the command line is visible to other users \
         (ps, /proc) and kept in shell history; use {flag}-file PATH or {flag}-stdin"
    )
}
