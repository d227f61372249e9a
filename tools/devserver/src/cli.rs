//! The `wi-devserver` command line, reusable by a `wi devserver` subcommand.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use crate::{DevServer, Options};

const USAGE: &str = "\
Usage: wi-devserver [OPTIONS]

Local Coze workload-identity and OAuth 2.0 server for tests. Listens on
127.0.0.1 until killed; prints `listening on http://127.0.0.1:PORT` first,
then one `METHOD PATH STATUS` line per request (never tokens or secrets).

Options:
  --port N                 port to bind; 0 (default) picks a free one
  --ttl SECS               token lifetime and expires_in (default 3600)
  --client ID:SECRET       register a client (repeatable; replaces the
                           default dev-client:dev-secret; `ID:` is public)
  --client-key ID=PATH     register the public key(s) in PATH (JWK, JWK Set
                           or PEM) for ID's private_key_jwt (repeatable)
  --user NAME:PASSWORD     a password-grant user (repeatable; replaces the
                           default dev-user:dev-password)
  --registration-token T   require T as Bearer at /oauth2/register
  --integration NAME=CRED  serve an integration credential (repeatable;
                           replaces the defaults github and slack)
  --env KEY=VALUE          serve an environment variable (repeatable, in
                           order; replaces the defaults)
  --port-file PATH         write the bound port to PATH once listening
  --exit-with-parent       exit when the process that started this one exits
  -h, --help               print this help

Example:
  wi-devserver --port 8700 --client my-app:s3cret --port-file /tmp/wi.port
  # then point a client at it:
  COZE_WORKLOAD_IDENTITY_CLIENT_ID=my-app
  COZE_WORKLOAD_IDENTITY_CLIENT_SECRET=s3cret
  COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT=http://127.0.0.1:8700/oauth/token
  COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT=http://127.0.0.1:8700/oauth/exchange
  COZE_OUTBOUND_AUTH_ENDPOINT=http://127.0.0.1:8700/outbound
";

/// Runs the server as the `wi-devserver` binary does: parses `args` (the
/// arguments after the program name), serves with request logging on stdout,
/// and blocks until the process is killed.
///
/// Returns only to give an exit code: 0 after `--help`, 2 for a usage error,
/// 1 when the server cannot start or the port file cannot be written.
pub fn run_cli(args: impl IntoIterator<Item = String>) -> i32 {
    let Parsed {
        mut options,
        port_file,
        key_files,
        exit_with_parent,
    } = match parse(args) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            print!("{USAGE}");
            return 0;
        }
        Err(message) => {
            eprintln!("wi-devserver: {message}\nTry `wi-devserver --help`.");
            return 2;
        }
    };
    let parent = std::os::unix::process::parent_id();
    for (client_id, path) in key_files {
        match fs::read_to_string(&path) {
            Ok(key) => options.client_keys.push((client_id, key)),
            Err(error) => {
                eprintln!("wi-devserver: cannot read {}: {error}", path.display());
                return 2;
            }
        }
    }
    let port = options.port;
    let server = match DevServer::start(options) {
        Err(error) if error.kind() == std::io::ErrorKind::InvalidInput => {
            eprintln!("wi-devserver: {error}");
            return 2;
        }
        Ok(server) => server,
        Err(error) => {
            eprintln!("wi-devserver: cannot listen on 127.0.0.1:{port}: {error}");
            return 1;
        }
    };
    if let Some(path) = port_file {
        if let Err(error) = write_port_file(&path, server.port()) {
            eprintln!("wi-devserver: cannot write {}: {error}", path.display());
            return 1;
        }
    }
    let mut stdout = std::io::stdout().lock();
    // If stdout is gone nobody is reading the banner; keep serving anyway.
    let _ = writeln!(stdout, "listening on {}", server.base_url()).and_then(|()| stdout.flush());
    drop(stdout);
    loop {
        if exit_with_parent {
            thread::sleep(PARENT_POLL);
            if std::os::unix::process::parent_id() != parent {
                return 0;
            }
        } else {
            thread::park();
        }
    }
}

/// How often `--exit-with-parent` looks whether the parent is gone (then this
/// process has been re-parented and its parent id changes).
const PARENT_POLL: Duration = Duration::from_millis(200);

/// The command line, parsed.
#[derive(Debug, PartialEq)]
struct Parsed {
    options: Options,
    port_file: Option<PathBuf>,
    /// `(client_id, path)` of `--client-key`, read after parsing.
    key_files: Vec<(String, PathBuf)>,
    exit_with_parent: bool,
}

/// Parses the arguments; `Ok(None)` means `--help`.
fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Parsed>, String> {
    let mut options = Options {
        log_requests: true,
        ..Options::default()
    };
    let (mut clients, mut integrations, mut env_vars) = (Vec::new(), Vec::new(), Vec::new());
    let (mut users, mut key_files) = (Vec::new(), Vec::new());
    let mut port_file = None;
    let mut exit_with_parent = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg, None),
        };
        let has_inline_value = inline.is_some();
        let value = || {
            inline
                .or_else(|| args.next())
                .ok_or(format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => options.port = number(&flag, value()?)?,
            "--ttl" => options.ttl_secs = number(&flag, value()?)?,
            "--client" => clients.push(split(&flag, value()?, ':')?),
            "--integration" => integrations.push(split(&flag, value()?, '=')?),
            "--env" => env_vars.push(split(&flag, value()?, '=')?),
            "--port-file" => port_file = Some(PathBuf::from(value()?)),
            "--user" => users.push(split(&flag, value()?, ':')?),
            "--client-key" => {
                let (client_id, path) = split(&flag, value()?, '=')?;
                key_files.push((client_id, PathBuf::from(path)));
            }
            "--registration-token" => options.registration_token = Some(value()?),
            "--exit-with-parent" if !has_inline_value => exit_with_parent = true,
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    for (given, target) in [
        (clients, &mut options.clients),
        (integrations, &mut options.integrations),
        (env_vars, &mut options.env_vars),
        (users, &mut options.users),
    ] {
        if !given.is_empty() {
            *target = given;
        }
    }
    Ok(Some(Parsed {
        options,
        port_file,
        key_files,
        exit_with_parent,
    }))
}

fn number<T: std::str::FromStr>(flag: &str, value: String) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} needs a number, not {value:?}"))
}

fn split(flag: &str, value: String, separator: char) -> Result<(String, String), String> {
    match value.split_once(separator) {
        Some((name, rest)) if !name.is_empty() => Ok((name.to_owned(), rest.to_owned())),
        _ => Err(format!("{flag} needs NAME{separator}VALUE")),
    }
}

/// Writes the port through a temporary file and a rename, so readers never see half of it.
fn write_port_file(path: &Path, port: u16) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    fs::write(&temporary, format!("{port}\n"))?;
    fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_flags() {
        let parsed = parse(args(
            "--port 8 --ttl=60 --client a:b:c --env K=V=W --port-file p --user u:p:w \
             --client-key a=k.jwk --registration-token t --exit-with-parent",
        ))
        .unwrap()
        .unwrap();
        let options = &parsed.options;
        assert_eq!((options.port, options.ttl_secs), (8, 60));
        assert_eq!(options.clients, [("a".to_owned(), "b:c".to_owned())]);
        assert_eq!(options.env_vars, [("K".to_owned(), "V=W".to_owned())]);
        assert_eq!(options.users, [("u".to_owned(), "p:w".to_owned())]);
        assert_eq!(options.integrations, Options::default().integrations);
        assert_eq!(options.registration_token.as_deref(), Some("t"));
        assert_eq!(parsed.port_file, Some(PathBuf::from("p")));
        assert_eq!(parsed.key_files, [("a".to_owned(), PathBuf::from("k.jwk"))]);
        assert!(options.log_requests && parsed.exit_with_parent);
    }

    #[test]
    fn rejects_bad_arguments() {
        assert_eq!(parse(args("--help")), Ok(None));
        assert!(parse(args("--port")).is_err());
        assert!(parse(args("--port x")).is_err());
        assert!(parse(args("--client nocolon")).is_err());
        assert!(parse(args("--bogus")).is_err());
        assert!(parse(args("--client-key nopath")).is_err());
        assert!(parse(args("--exit-with-parent=yes")).is_err());
    }
}
