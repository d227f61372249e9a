//! The store's directory and its entries, on the file system.
//!
//! The directory is opened once and every entry operation is relative to that
//! descriptor (`openat`, `renameat`, `unlinkat`), so the directory that was
//! checked is the one used, even if its path is swapped afterwards.
//!
//! Files in the directory: `<name>.tokens` (an entry, 0600), `<name>.lock`
//! (its lock file, empty, never removed so that every process locks the same
//! inode), and `.<name>.<pid>.<sequence>.<random>.tmp` while an entry is written.

use std::ffi::CString;
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{Error, Operation};
use crate::store::format::EntryKey;
use crate::store::lock::StoreLock;
use crate::store::StoredTokens;

/// Numbers the temporary files of this process (with its pid and a random part,
/// no two writers pick the same name).
static NEXT_TEMPORARY: AtomicU64 = AtomicU64::new(0);

/// An entry larger than this is not read (and not written): a thousand
/// exchanged tokens of a few KiB each fit well below it.
pub(crate) const MAX_ENTRY_BYTES: u64 = 8 * 1024 * 1024;

/// A checked store directory. Cheap to clone; `Send + Sync`.
///
/// Methods: [`FileStore::open`], [`FileStore::entry`], [`FileStore::path`].
#[derive(Clone, Debug)]
pub(crate) struct FileStore {
    directory: Arc<Directory>,
}

#[derive(Debug)]
pub(crate) struct Directory {
    path: PathBuf,
    handle: File,
}

impl Directory {
    /// An error of the store, naming the directory.
    pub(crate) fn error(&self, why: impl std::fmt::Display) -> Error {
        store_error(&self.path, why)
    }

    pub(crate) fn fd(&self) -> i32 {
        self.handle.as_raw_fd()
    }
}

fn store_error(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::new(
        Operation::Store,
        format!("token store {}: {why}", path.display()),
    )
}

impl FileStore {
    /// Opens the directory `dir`, creating it (mode 0700, and any missing parent
    /// 0700) if needed.
    ///
    /// Refused, as an [`crate::ErrorKind::Store`] error naming the directory: one
    /// owned by another user, one writable by group or others, one that is not a
    /// directory, cannot be created, or cannot be written (checked by creating and
    /// removing a file).
    pub(crate) fn open(dir: &Path) -> Result<FileStore, Error> {
        let fail = |why: String| store_error(dir, why);
        let created =
            create_directory(dir).map_err(|error| fail(format!("cannot be created ({error})")))?;
        let handle = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
            .open(dir)
            .map_err(|error| match error.raw_os_error() {
                Some(libc::ENOTDIR) => fail("is not a directory".to_owned()),
                _ => fail(format!("cannot be opened ({error})")),
            })?;
        if created {
            // The mode of mkdir is cut by the umask; the contract says 0700.
            handle
                .set_permissions(std::fs::Permissions::from_mode(0o700))
                .map_err(|error| fail(format!("cannot be made private ({error})")))?;
        }
        let metadata = handle
            .metadata()
            .map_err(|error| fail(format!("cannot be examined ({error})")))?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let user = unsafe { libc::geteuid() };
        if metadata.uid() != user {
            return Err(fail(format!(
                "is owned by uid {}, not by this process's user (uid {user}); refused",
                metadata.uid()
            )));
        }
        let mode = metadata.mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(fail(format!(
                "is writable by group or others (mode {mode:04o}); refused: make it 0700"
            )));
        }
        let directory = Directory {
            path: dir.to_owned(),
            handle,
        };
        probe_writable(&directory)?;
        Ok(FileStore {
            directory: Arc::new(directory),
        })
    }

    /// The directory's path, as given to [`FileStore::open`].
    #[cfg(test)]
    pub(crate) fn path(&self) -> &Path {
        &self.directory.path
    }

    /// The entry of one identity: `identity` holds its settings (flow,
    /// endpoints, client id, scope, audience, resource, lane, headers...) and
    /// `secrets` every credential (client secret, password, initial refresh
    /// token, the private key's [`crate::jwt::SigningKey::secret_digest`]...),
    /// each list in a fixed order. Any byte of either that differs is another
    /// entry. Computes two HMACs; touches no file.
    pub(crate) fn entry(&self, identity: &[&[u8]], secrets: &[&[u8]]) -> StoreEntry {
        let key = EntryKey::derive(identity, secrets);
        let name = key.file_name();
        StoreEntry {
            directory: self.directory.clone(),
            file_name: cstring(format!("{name}.tokens")),
            lock_name: cstring(format!("{name}.lock")),
            name,
            key,
        }
    }
}

/// One identity's entry in a [`FileStore`]. `Send + Sync`; every method may be
/// called from any thread, and from several processes at once.
///
/// Methods: [`StoreEntry::read`], [`StoreEntry::write`], [`StoreEntry::remove`],
/// [`StoreEntry::lock`], [`StoreEntry::exchange_key`].
#[derive(Debug)]
pub(crate) struct StoreEntry {
    directory: Arc<Directory>,
    /// Hex digits; reveals nothing.
    pub(super) name: String,
    file_name: CString,
    lock_name: CString,
    key: EntryKey,
}

impl StoreEntry {
    /// The stored tokens; `Ok(None)` when there is no entry, or it is corrupt,
    /// truncated, oversized or written under another identity (never served;
    /// the next [`StoreEntry::write`] replaces it).
    ///
    /// An error only when the file exists but cannot be read (the caller logs it
    /// and goes on as if nothing were stored).
    pub(crate) fn read(&self) -> Result<Option<StoredTokens>, Error> {
        let flags = libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW | libc::O_NONBLOCK;
        let file = match openat(&self.directory, &self.file_name, flags, 0) {
            Ok(file) => file,
            // A symbolic link (ELOOP) is no entry of ours: replaced at the next write.
            Err(error) if matches!(error.raw_os_error(), Some(libc::ENOENT | libc::ELOOP)) => {
                return Ok(None)
            }
            Err(error) => {
                return Err(self
                    .directory
                    .error(format!("cannot read an entry ({error})")))
            }
        };
        let metadata = file.metadata().map_err(|error| {
            self.directory
                .error(format!("cannot read an entry ({error})"))
        })?;
        if !metadata.is_file() || metadata.len() > MAX_ENTRY_BYTES {
            return Ok(None);
        }
        // Entries are replaced by rename, never rewritten in place: the open file
        // keeps the size just read. One spare byte tells a file that grew anyway.
        let capacity = metadata.len() + 1;
        let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(capacity as usize));
        file.take(capacity)
            .read_to_end(&mut bytes)
            .map_err(|error| {
                self.directory
                    .error(format!("cannot read an entry ({error})"))
            })?;
        if bytes.len() as u64 != metadata.len() {
            return Ok(None);
        }
        Ok(self.key.open(&bytes))
    }

    /// Replaces the entry with `tokens`: a temporary file in the directory (0600),
    /// written, synced, renamed over the entry, then the directory synced.
    ///
    /// Readers in any process see the old entry or the new one, never a part.
    /// An error (disk full, directory gone) leaves the old entry as it was; the
    /// caller logs it and keeps serving the token from memory.
    pub(crate) fn write(&self, tokens: &StoredTokens) -> Result<(), Error> {
        let bytes = self.key.seal(tokens);
        if bytes.len() as u64 > MAX_ENTRY_BYTES {
            return Err(self.directory.error(format!(
                "an entry of {} bytes is over the limit of {MAX_ENTRY_BYTES}",
                bytes.len()
            )));
        }
        let temporary = cstring(format!(
            ".{}.{}.{}.{:016x}.tmp",
            self.name,
            std::process::id(),
            NEXT_TEMPORARY.fetch_add(1, Ordering::Relaxed),
            random_u64()
        ));
        let failed = |error: io::Error| {
            // SAFETY: a valid descriptor and a NUL-terminated name; a temporary
            // file that was never created makes this a harmless ENOENT.
            unsafe { libc::unlinkat(self.directory.fd(), temporary.as_ptr(), 0) };
            self.directory
                .error(format!("cannot write an entry ({error})"))
        };
        let flags =
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC | libc::O_NOFOLLOW;
        let mut file = openat(&self.directory, &temporary, flags, 0o600).map_err(failed)?;
        // O_CREAT's mode is cut by the umask; the contract says 0600.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(failed)?;
        file.write_all(&bytes).map_err(failed)?;
        file.sync_data().map_err(failed)?;
        drop(file);
        // SAFETY: a valid descriptor and NUL-terminated names.
        let renamed = unsafe {
            libc::renameat(
                self.directory.fd(),
                temporary.as_ptr(),
                self.directory.fd(),
                self.file_name.as_ptr(),
            )
        };
        if renamed != 0 {
            return Err(failed(io::Error::last_os_error()));
        }
        // The rename itself reaches the disk with the directory.
        self.directory.handle.sync_all().map_err(|error| {
            self.directory
                .error(format!("cannot sync the directory ({error})"))
        })
    }

    /// Removes the entry (a revoked token, say). No entry is no error.
    #[allow(dead_code)] // used by revocation (the OAuth operations), next
    pub(crate) fn remove(&self) -> Result<(), Error> {
        // SAFETY: a valid descriptor and a NUL-terminated name.
        let removed = unsafe { libc::unlinkat(self.directory.fd(), self.file_name.as_ptr(), 0) };
        let error = io::Error::last_os_error();
        if removed != 0 && error.raw_os_error() != Some(libc::ENOENT) {
            return Err(self
                .directory
                .error(format!("cannot remove an entry ({error})")));
        }
        Ok(())
    }

    /// Takes the entry's advisory lock, waiting until `deadline` at most (see
    /// [`StoreLock`]). Held until the returned value drops.
    pub(crate) fn lock(&self, deadline: Instant) -> Result<StoreLock, Error> {
        StoreLock::acquire(&self.directory, &self.lock_name, deadline)
    }

    /// The key under which an exchanged token of these `parameters` (subject
    /// token, audience, scope... in a fixed order) is stored: 64 hex digits,
    /// the same in every process of this identity, revealing nothing of them.
    pub(crate) fn exchange_key(&self, parameters: &[&[u8]]) -> String {
        self.key.exchange_key(parameters)
    }
}

/// Creates `dir` (0700) and its missing parents (0700); true if `dir` was created.
fn create_directory(dir: &Path) -> io::Result<bool> {
    let mut builder = DirBuilder::new();
    builder.mode(0o700);
    match builder.create(dir) {
        Ok(()) => return Ok(true),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
        Err(_) => {}
    }
    if let Some(parent) = dir.parent() {
        builder.recursive(true).create(parent)?;
    }
    match DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(error) => Err(error),
    }
}

/// Creates and removes a file: the one sure test that entries can be written.
fn probe_writable(directory: &Directory) -> Result<(), Error> {
    let name = cstring(format!(
        ".probe.{}.{:016x}",
        std::process::id(),
        random_u64()
    ));
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC | libc::O_NOFOLLOW;
    let probe = openat(directory, &name, flags, 0o600)
        .map_err(|error| directory.error(format!("is not writable ({error})")))?;
    drop(probe);
    // SAFETY: a valid descriptor and a NUL-terminated name.
    if unsafe { libc::unlinkat(directory.fd(), name.as_ptr(), 0) } != 0 {
        let error = io::Error::last_os_error();
        return Err(directory.error(format!("is not writable ({error})")));
    }
    Ok(())
}

/// `openat(2)` relative to the store's directory.
pub(crate) fn openat(
    directory: &Directory,
    name: &CString,
    flags: i32,
    mode: libc::mode_t,
) -> io::Result<File> {
    loop {
        // SAFETY: a valid descriptor and a NUL-terminated name.
        let fd = unsafe { libc::openat(directory.fd(), name.as_ptr(), flags, mode) };
        if fd >= 0 {
            // SAFETY: a descriptor just returned by openat, owned by nothing else.
            return Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) }));
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Names built here hold hex digits, dots and a decimal pid: never a NUL.
fn cstring(name: String) -> CString {
    CString::new(name).expect("store file names hold no NUL")
}

fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    // A failing system generator leaves zeros: the pid and the sequence number
    // still tell writers apart, and O_EXCL refuses a clash.
    let _ = SystemRandom::new().fill(&mut bytes);
    u64::from_ne_bytes(bytes)
}
