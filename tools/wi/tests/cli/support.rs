//! Running `wi` with a clean environment, and reading what it did.

use std::fmt;
use std::io::{ErrorKind, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use wi_devserver::{DevServer, Options};

/// A fresh dev server with the default credentials (a new port is a new identity).
pub fn server() -> DevServer {
    DevServer::start(Options::default()).expect("the dev server starts")
}

/// `wi` with an empty environment: nothing leaks in from the test process.
pub fn bare() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wi"));
    command.env_clear();
    command
}

/// `wi` configured for `server` through the environment, as a workload would be.
pub fn wi(server: &DevServer) -> Command {
    let mut command = bare();
    command
        .env("COZE_WORKLOAD_IDENTITY_CLIENT_ID", "dev-client")
        .env("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET", "dev-secret")
        .env(
            "COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT",
            server.token_endpoint(),
        )
        .env(
            "COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT",
            server.access_token_endpoint(),
        )
        .env(
            "COZE_OUTBOUND_AUTH_ENDPOINT",
            server.outbound_auth_endpoint(),
        );
    command
}

/// What one run of `wi` produced.
pub struct Outcome {
    /// The exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output; may hold a token, so `Debug` shows only its length.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outcome")
            .field("code", &self.code)
            .field("stdout_bytes", &self.stdout.len())
            .field("stderr", &self.stderr)
            .finish()
    }
}

impl Outcome {
    /// Asserts success with nothing on stderr.
    pub fn ok(self) -> Outcome {
        assert!(self.code == 0 && self.stderr.is_empty(), "{self:?}");
        self
    }

    /// Asserts exit code `code`, stdout empty, and exactly one `wi: error:` line on stderr.
    pub fn fails(self, code: i32) -> Outcome {
        assert_eq!(self.code, code, "{self:?}");
        assert!(self.stdout.is_empty(), "{self:?}");
        assert!(self.stderr.starts_with("wi: error: "), "{self:?}");
        assert_eq!(self.stderr.lines().count(), 1, "{self:?}");
        self
    }

    /// The one stdout line, without its newline.
    pub fn line(&self) -> &str {
        let line = self.stdout.strip_suffix('\n');
        assert!(
            line.is_some_and(|line| !line.contains('\n')),
            "expected one line: {self:?}"
        );
        line.unwrap_or_default()
    }
}

/// Runs `command` with `args` and `stdin` (closed when `None`).
pub fn run(mut command: Command, args: &[&str], stdin: Option<&str>) -> Outcome {
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wi starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    if let Some(text) = stdin {
        // wi may exit before reading, e.g. on a usage error.
        if let Err(error) = input.write_all(text.as_bytes()) {
            assert_eq!(error.kind(), ErrorKind::BrokenPipe, "stdin: {error}");
        }
    }
    drop(input);
    let output = child.wait_with_output().expect("wi finishes");
    Outcome {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// A file in the temporary directory, removed on drop.
pub struct TempFile(pub PathBuf);

impl TempFile {
    /// Writes `contents` to a file named after `name` and this process.
    pub fn new(name: &str, contents: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("wi-test-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).expect("the temporary file is written");
        TempFile(path)
    }

    /// The path as a `&str`.
    pub fn path(&self) -> &str {
        self.0.to_str().expect("temporary paths are UTF-8")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Whether `text` holds a dev-server token (`at_`/`idt_` and 32 hex digits) or the dev secret.
pub fn leaks_secret(text: &str) -> bool {
    let token_at = |start: usize| {
        let hex = &text.as_bytes()[start..];
        hex.len() >= 32 && hex[..32].iter().all(u8::is_ascii_hexdigit)
    };
    let tokens = ["at_", "idt_"].iter().any(|prefix| {
        text.match_indices(prefix)
            .any(|(index, _)| token_at(index + prefix.len()))
    });
    tokens || text.contains("dev-secret")
}

/// Whether `text` is a dev-server access token.
pub fn is_access_token(text: &str) -> bool {
    text.len() == 35 && text.starts_with("at_") && leaks_secret(text)
}

/// A directory in the temporary directory, removed with its contents on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates an empty directory named after `name` and this process.
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("wi-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path).expect("the temporary directory is created");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether `program` can be run (an optional shell such as zsh or fish).
pub fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("-c")
        .arg("exit 0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
