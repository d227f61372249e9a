//! Why a command failed, and the exit code that tells scripts which way.

use std::fmt;

use workload_identity::{Error, ErrorKind};

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: any failure not listed below (I/O, internal error).
pub const EXIT_OTHER: u8 = 1;
/// Exit code: the command line is wrong.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: configuration is missing or invalid.
pub const EXIT_CONFIGURATION: u8 = 3;
/// Exit code: the ID token or an exchange failed.
pub const EXIT_TOKEN: u8 = 4;
/// Exit code: the integration-credential or env-var API failed.
pub const EXIT_INTEGRATION: u8 = 5;
/// Exit code: discovery, introspection, revocation or registration failed.
pub const EXIT_OAUTH: u8 = 6;

/// A failure of one `wi` invocation; printed as one line on stderr.
#[derive(Debug)]
pub enum Failure {
    /// Unknown command or flag, missing or malformed value.
    Usage(String),
    /// A configuration input (e.g. the client secret file) is unusable.
    Configuration(String),
    /// Reading an input or writing the output failed, or the result cannot
    /// be written in the format asked for.
    Io(String),
    /// The library failed; its kind decides the exit code.
    Library(Error),
    /// The command has already said why on stderr; exit with this code.
    Reported(u8),
}

impl Failure {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => EXIT_USAGE,
            Failure::Configuration(_) => EXIT_CONFIGURATION,
            Failure::Io(_) => EXIT_OTHER,
            Failure::Reported(code) => *code,
            Failure::Library(error) => match error.kind() {
                ErrorKind::InvalidArgument => EXIT_USAGE,
                ErrorKind::Configuration => EXIT_CONFIGURATION,
                ErrorKind::TokenRetrieval | ErrorKind::TokenExchange => EXIT_TOKEN,
                ErrorKind::Integration | ErrorKind::SkillEnv => EXIT_INTEGRATION,
                ErrorKind::OAuthOperation => EXIT_OAUTH,
                ErrorKind::Store | ErrorKind::Internal => EXIT_OTHER,
            },
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Library(error)
    }
}

impl fmt::Display for Failure {
    /// One line: line breaks a server put in a message become spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Failure::Usage(message) | Failure::Configuration(message) | Failure::Io(message) => {
                message.clone()
            }
            // Display carries the OAuth error code and the HTTP status when present.
            Failure::Library(error) => error.to_string(),
            Failure::Reported(_) => String::new(),
        };
        let one_line: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        f.write_str(&one_line)
    }
}
