//! The help texts shared by several commands; each command's own texts
//! (summary, description, examples) sit on its clap definition.

/// Where the configuration comes from (`wi --help`).
pub const CONFIGURATION: &str = "\
Configuration comes from the environment, and flags override it:
  COZE_WORKLOAD_IDENTITY_CLIENT_ID       client id (required)
  COZE_WORKLOAD_IDENTITY_CLIENT_SECRET   client secret (required; or a file or
                                         stdin, never a flag value)
  COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT  ID token URL (required)
  COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT    access token URL (required)
  COZE_OUTBOUND_AUTH_ENDPOINT            base URL for `integration` and `env`
  COZE_SERVER_ENV                        lane (optional)
Any other library option: -o KEY=VALUE (the keys are in `wi token --help`).

Output: the result alone on stdout, or another --format (--json: JSON).
Errors go to stderr as one line, `wi: error: MESSAGE`, with the OAuth error
code and the HTTP status when the server sent them.
";

/// The exit codes (`wi --help`).
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  other failure: unreadable input file, closed output, internal error,
     a variable name a shell cannot assign (`wi env`: use --format json)
  2  usage error: unknown command or option, missing or malformed value
  3  configuration error: missing or invalid settings (the message names them)
  4  token retrieval or exchange failed (refused, unreachable, bad response)
  5  integration credential or environment variables request failed
  6  discovery, introspection, revocation or registration failed
";

/// The last line of each short help: where the rest is.
pub const MORE: &str = "\
Configuration, exit codes and more: `wi --help`; a command's details:
`wi COMMAND --help`.";

/// The end of `-h` of a command that talks to the service: its examples,
/// and where the connection options are (`-h` leaves them out).
pub fn service_short(examples: &str) -> String {
    format!(
        "{examples}
Connection options (--client-id, --client-secret-file, --token-endpoint, ...,
-o KEY=VALUE for any library option): see --help."
    )
}

/// The end of `--help` of a command that talks to the service.
pub fn service_long(examples: &str) -> String {
    format!(
        "{examples}
Exit codes: 0 ok, 1 other, 2 usage, 3 configuration, 4 token retrieval or
exchange, 5 integration, 6 OAuth operation (details in `wi --help`)."
    )
}
