//! The outbound proxy's CA bundle, written from `COZE_OUTBOUND_AUTH_PROXY_CA`
//! content to a temporary file that HTTP clients (libcurl, OpenSSL, Go, Node,
//! Python `requests`) can be pointed at.
//!
//! - One file per process and per content, shared by every caller: asking again
//!   with the same content returns the same path; other content (the skill
//!   environment may change the variable) gets a new file.
//! - Created by `mkostemps` in the temporary directory (`$TMPDIR`, else `/tmp`):
//!   a fresh unpredictable name, mode 0600, never an existing file or link.
//!   The name `wi-proxy-ca-<pid>-XXXXXX.pem` records the creating process.
//! - Removed by an `atexit` handler, which removes only the files of the exiting
//!   process: a forked child never deletes its parent's file, and writes its own
//!   at its first request (so it keeps working if the parent exits first).
//! - A process that ends without `exit` (killed, `_exit`, a Go program, which
//!   never runs `atexit` handlers) leaves its file behind: the first file
//!   written by a later process removes this user's files whose process is gone.
//!
//! The list of files is an `ArcSwap`, read and updated without a lock, so that
//! neither `fork` nor the exit handler can find it locked.

use std::ffi::{CString, OsString};
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};

use arc_swap::ArcSwapOption;

use crate::error::Error;

const PREFIX: &str = "wi-proxy-ca-";
const SUFFIX: &str = ".pem";

struct CaFile {
    pid: u32,
    content: String,
    path: PathBuf,
}

static FILES: ArcSwapOption<Vec<Arc<CaFile>>> = ArcSwapOption::const_empty();

/// The path of a file holding `content`, written on first use in this process.
pub(crate) fn path_for(content: &str) -> Result<PathBuf, Error> {
    let pid = std::process::id();
    let same = |file: &&Arc<CaFile>| file.pid == pid && file.content == content;
    if let Some(file) = FILES
        .load()
        .as_ref()
        .and_then(|files| files.iter().find(same))
    {
        return Ok(file.path.clone());
    }
    install_exit_handler();
    remove_stale_files();
    let path = write_new(content, pid)?;
    let written = Arc::new(CaFile {
        pid,
        content: content.to_owned(),
        path: path.clone(),
    });
    loop {
        let current = FILES.load_full();
        if let Some(file) = current.as_ref().and_then(|files| files.iter().find(same)) {
            // Another thread wrote the same content first: use its file.
            let _ = std::fs::remove_file(&path);
            return Ok(file.path.clone());
        }
        let mut next = current.as_deref().cloned().unwrap_or_default();
        next.push(Arc::clone(&written));
        let previous = FILES.compare_and_swap(&current, Some(Arc::new(next)));
        if same_list(&previous, &current) {
            return Ok(path);
        }
    }
}

/// Whether `path` is a file this process wrote from content (and so removes
/// at exit).
pub(crate) fn removed_at_exit(path: &Path) -> bool {
    let pid = std::process::id();
    FILES.load().as_ref().is_some_and(|files| {
        files
            .iter()
            .any(|file| file.pid == pid && file.path == path)
    })
}

fn same_list(a: &Option<Arc<Vec<Arc<CaFile>>>>, b: &Option<Arc<Vec<Arc<CaFile>>>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

fn temp_dir() -> PathBuf {
    std::env::temp_dir()
}

/// Creates a new 0600 file and writes `content`; a failure leaves no file behind.
fn write_new(content: &str, pid: u32) -> Result<PathBuf, Error> {
    let describe = |what: String| {
        Error::configuration(format!(
            "cannot write the COZE_OUTBOUND_AUTH_PROXY_CA certificates to a file in {}: {what}",
            temp_dir().display()
        ))
    };
    let template = temp_dir().join(format!("{PREFIX}{pid}-XXXXXX{SUFFIX}"));
    let template = CString::new(template.into_os_string().into_vec())
        .map_err(|_| describe("the directory name holds a NUL byte".to_owned()))?;
    let mut template = template.into_bytes_with_nul();
    // SAFETY: `template` is a writable NUL-terminated buffer ending in
    // "XXXXXX.pem"; mkostemps replaces the Xs in place and returns a new fd.
    let fd = unsafe {
        libc::mkostemps(
            template.as_mut_ptr().cast(),
            SUFFIX.len() as libc::c_int,
            libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(describe(std::io::Error::last_os_error().to_string()));
    }
    template.pop(); // the NUL
    let path = PathBuf::from(OsString::from_vec(template));
    // SAFETY: `fd` is a new descriptor owned by nobody else.
    let mut file = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    if let Err(error) = file.write_all(content.as_bytes()) {
        drop(file);
        let _ = std::fs::remove_file(&path);
        return Err(describe(error.to_string()));
    }
    Ok(path)
}

fn install_exit_handler() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: a plain function pointer with the signature atexit expects.
        let result = unsafe { libc::atexit(remove_own_files) };
        if result != 0 {
            crate::log::log(crate::log::Level::Warn, || {
                "could not register the exit handler that removes the proxy CA file".to_owned()
            });
        }
    });
}

/// At exit: removes the files this process wrote (and only those).
extern "C" fn remove_own_files() {
    let _ = std::panic::catch_unwind(|| {
        let pid = std::process::id();
        if let Some(files) = FILES.load().as_ref() {
            for file in files.iter().filter(|file| file.pid == pid) {
                let _ = std::fs::remove_file(&file.path);
            }
        }
    });
}

/// Once per process: removes this user's CA files whose process no longer runs.
fn remove_stale_files() {
    static SWEEP: Once = Once::new();
    SWEEP.call_once(|| {
        let Ok(entries) = std::fs::read_dir(temp_dir()) else {
            return;
        };
        // SAFETY: geteuid has no preconditions.
        let uid = unsafe { libc::geteuid() };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = owner_pid(Path::new(&name)) else {
                continue;
            };
            let mine = entry
                .metadata()
                .is_ok_and(|meta| meta.is_file() && meta.uid() == uid);
            if mine && !process_exists(pid) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    });
}

/// The pid in a name `wi-proxy-ca-<pid>-XXXXXX.pem`.
fn owner_pid(name: &Path) -> Option<libc::pid_t> {
    let name = std::str::from_utf8(name.as_os_str().as_bytes()).ok()?;
    let rest = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let (pid, random) = rest.split_once('-')?;
    if random.len() != 6 {
        return None;
    }
    pid.parse().ok().filter(|pid| *pid > 0)
}

fn process_exists(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn one_private_file_per_content() {
        let first = path_for("ca one").unwrap();
        assert_eq!(path_for("ca one").unwrap(), first);
        let second = path_for("ca two").unwrap();
        assert_ne!(first, second);
        assert_eq!(std::fs::read_to_string(&second).unwrap(), "ca two");
        let mode = std::fs::metadata(&first).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let name = first.file_name().unwrap();
        assert_eq!(owner_pid(Path::new(name)), Some(std::process::id() as i32));
    }

    #[test]
    fn names_and_processes() {
        assert_eq!(owner_pid(Path::new("wi-proxy-ca-12-abcdef.pem")), Some(12));
        assert_eq!(owner_pid(Path::new("wi-proxy-ca-12-abc.pem")), None);
        assert_eq!(owner_pid(Path::new("wi-proxy-ca-x-abcdef.pem")), None);
        assert_eq!(owner_pid(Path::new("other-12-abcdef.pem")), None);
        assert!(process_exists(std::process::id() as i32));
    }
}
