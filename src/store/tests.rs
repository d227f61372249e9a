//! The store on a real file system: modes, refused directories, corrupt and
//! foreign entries, atomic replacement, and the lock across threads, a fork and
//! eight processes.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{FileStore, StoredExchange, StoredToken, StoredTokens};
use crate::ErrorKind;

const IDENTITY: &[&[u8]] = &[
    b"client_credentials",
    b"https://auth.example/token",
    b"client-1",
];
const SECRET: &[&[u8]] = &[b"client-secret-1"];
const OTHER_SECRET: &[&[u8]] = &[b"client-secret-2"];

/// A directory under the system's temporary directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path =
            std::env::temp_dir().join(format!("wi-store-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        Scratch(path)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().mode() & 0o7777
}

fn token(value: &str, expires_at_unix_ms: i64) -> StoredToken {
    StoredToken {
        token: value.into(),
        issued_at_unix_ms: 1_700_000_000_000,
        expires_at_unix_ms,
        refresh_at_unix_ms: None,
    }
}

fn sample(exchange_key: String) -> StoredTokens {
    StoredTokens {
        failed_until_unix_ms: None,
        access_token: Some(StoredToken {
            refresh_at_unix_ms: Some(1_700_000_600_000),
            ..token("access-token-value", 1_700_000_900_000)
        }),
        refresh_token: Some("refresh-token-value".into()),
        exchanged: vec![StoredExchange {
            key: exchange_key,
            token: token("exchanged \"quoted\" \\ é\n", 1_700_000_300_000),
        }],
    }
}

/// The files of a directory, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn entry_path(store: &FileStore, secret: &[&[u8]]) -> PathBuf {
    let entry = store.entry(IDENTITY, secret);
    store.path().join(format!("{}.tokens", entry.name))
}

#[test]
fn the_directory_and_missing_parents_are_created_0700() {
    let scratch = Scratch::new("create");
    let dir = scratch.join("parent/child/store");
    let store = FileStore::open(&dir).unwrap();
    assert_eq!(store.path(), dir);
    for path in [
        scratch.join("parent"),
        scratch.join("parent/child"),
        dir.clone(),
    ] {
        assert_eq!(mode(&path), 0o700, "{}", path.display());
    }
    assert!(listing(&dir).is_empty(), "the write probe is removed");
    // An existing private-enough directory is used as it is.
    let existing = scratch.join("existing");
    std::fs::create_dir(&existing).unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o755)).unwrap();
    FileStore::open(&existing).unwrap();
    assert_eq!(mode(&existing), 0o755);
}

fn assert_refused(dir: &Path, expected: &str) {
    let error = FileStore::open(dir).expect_err(expected);
    assert_eq!(error.kind(), ErrorKind::Store, "{error}");
    assert_eq!(
        crate::ffi::error::wi_status::of(&error) as u32,
        7,
        "WI_STATUS_STORE"
    );
    let message = error.to_string();
    assert!(message.contains(&dir.display().to_string()), "{message}");
    assert!(
        message.contains(expected),
        "expected {expected:?} in {message}"
    );
}

#[test]
fn unsafe_or_unusable_directories_are_refused() {
    let scratch = Scratch::new("refused");
    std::fs::create_dir_all(scratch.join("group")).unwrap();
    std::fs::set_permissions(
        scratch.join("group"),
        std::fs::Permissions::from_mode(0o770),
    )
    .unwrap();
    assert_refused(
        &scratch.join("group"),
        "writable by group or others (mode 0770)",
    );
    std::fs::create_dir_all(scratch.join("world")).unwrap();
    std::fs::set_permissions(
        scratch.join("world"),
        std::fs::Permissions::from_mode(0o1777),
    )
    .unwrap();
    assert_refused(
        &scratch.join("world"),
        "writable by group or others (mode 1777)",
    );
    std::fs::write(scratch.join("file"), b"").unwrap();
    assert_refused(&scratch.join("file"), "is not a directory");
    assert_refused(&scratch.join("file/store"), "cannot be created");
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let foreign = scratch.join("foreign");
        std::fs::create_dir_all(&foreign).unwrap();
        std::fs::set_permissions(&foreign, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::chown(&foreign, Some(65534), Some(65534)).unwrap();
        assert_refused(
            &foreign,
            "is owned by uid 65534, not by this process's user (uid 0)",
        );
        // Root passes every permission check; procfs still refuses new files.
        assert_refused(Path::new("/proc"), "is not writable");
    } else {
        assert_refused(Path::new("/"), "is owned by uid 0");
    }
}

#[test]
fn entries_round_trip_in_private_files_that_hold_no_credential() {
    let scratch = Scratch::new("round-trip");
    let store = FileStore::open(&scratch.0).unwrap();
    let entry = store.entry(IDENTITY, SECRET);
    assert_eq!(entry.read().unwrap(), None);
    let tokens = sample(entry.exchange_key(&[b"subject", b"audience"]));
    entry.write(&tokens).unwrap();
    assert_eq!(entry.read().unwrap(), Some(tokens.clone()));
    // Another process (another FileStore) with the same settings meets the same entry.
    let again = FileStore::open(&scratch.0).unwrap().entry(IDENTITY, SECRET);
    assert_eq!(again.read().unwrap(), Some(tokens));
    let path = entry_path(&store, SECRET);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(
        listing(&scratch.0),
        [format!("{}.tokens", entry.name)],
        "no temporary file left"
    );
    let name = &entry.name;
    assert!(name.len() == 64 && name.bytes().all(|byte| byte.is_ascii_hexdigit()));
    let content = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
    assert!(
        !content.contains("client-secret-1") && !content.contains("subject"),
        "{content}"
    );
    assert!(content.starts_with("wi-token-store 1 "), "{content}");
    // Only an access token, or only a refresh token, round-trips too.
    for tokens in [
        StoredTokens {
            access_token: Some(token("a", 1)),
            ..StoredTokens::default()
        },
        StoredTokens {
            refresh_token: Some("r".into()),
            ..StoredTokens::default()
        },
    ] {
        entry.write(&tokens).unwrap();
        assert_eq!(entry.read().unwrap(), Some(tokens));
    }
}

#[test]
fn corrupt_entries_read_as_none_and_are_replaced() {
    let scratch = Scratch::new("corrupt");
    let store = FileStore::open(&scratch.0).unwrap();
    let entry = store.entry(IDENTITY, SECRET);
    let path = entry_path(&store, SECRET);
    let tokens = sample(entry.exchange_key(&[b"subject"]));
    entry.write(&tokens).unwrap();
    let good = std::fs::read(&path).unwrap();
    let mut flipped = good.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 1;
    let mut bad_mac = good.clone();
    bad_mac[20] = if bad_mac[20] == b'0' { b'1' } else { b'0' };
    let damaged: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"\x00\xffnot an entry".to_vec()),
        ("empty", Vec::new()),
        ("truncated", good[..good.len() - 1].to_vec()),
        ("a byte of the JSON changed", flipped),
        ("a digit of the MAC changed", bad_mac),
        (
            "another version",
            [b"wi-token-store 2".as_slice(), &good[16..]].concat(),
        ),
    ];
    for (what, bytes) in damaged {
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(entry.read().unwrap(), None, "{what}");
        entry.write(&tokens).unwrap();
        assert_eq!(
            entry.read().unwrap(),
            Some(tokens.clone()),
            "{what}: replaced"
        );
    }
    // Oversized (sparse), a symbolic link, a FIFO (which must not block the reader).
    std::fs::File::create(&path)
        .unwrap()
        .set_len(super::file::MAX_ENTRY_BYTES + 1)
        .unwrap();
    assert_eq!(entry.read().unwrap(), None, "oversized");
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(scratch.join("elsewhere"), &path).unwrap();
    assert_eq!(entry.read().unwrap(), None, "symbolic link");
    entry.write(&tokens).unwrap();
    assert_eq!(entry.read().unwrap(), Some(tokens.clone()), "link replaced");
    std::fs::remove_file(&path).unwrap();
    let fifo = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    assert_eq!(entry.read().unwrap(), None, "FIFO");
    entry.write(&tokens).unwrap();
    assert_eq!(entry.read().unwrap(), Some(tokens), "FIFO replaced");
}

#[test]
fn an_entry_written_under_other_credentials_is_never_served() {
    let scratch = Scratch::new("foreign");
    let store = FileStore::open(&scratch.0).unwrap();
    let mine = store.entry(IDENTITY, SECRET);
    let other = store.entry(IDENTITY, OTHER_SECRET);
    assert_ne!(mine.name, other.name, "another secret is another file");
    let other_identity: &[&[u8]] = &[
        b"client_credentials",
        b"https://auth.example/token",
        b"client-2",
    ];
    assert_ne!(mine.name, store.entry(other_identity, SECRET).name);
    // Framing: moving a byte from one part to the next is another identity.
    let moved: &[&[u8]] = &[
        b"client_credential",
        b"shttps://auth.example/token",
        b"client-1",
    ];
    assert_ne!(mine.name, store.entry(moved, SECRET).name);
    other.write(&sample(other.exchange_key(&[]))).unwrap();
    // The other identity's entry, put where mine would be: ignored, then replaced.
    std::fs::copy(entry_path(&store, OTHER_SECRET), entry_path(&store, SECRET)).unwrap();
    assert_eq!(mine.read().unwrap(), None);
    let tokens = StoredTokens {
        access_token: Some(token("mine", 2)),
        ..StoredTokens::default()
    };
    mine.write(&tokens).unwrap();
    assert_eq!(mine.read().unwrap(), Some(tokens));
    assert!(
        other.read().unwrap().is_some(),
        "the other entry is untouched"
    );
}

#[test]
fn exchange_keys_are_stable_per_identity_and_reveal_nothing() {
    let scratch = Scratch::new("exchange-keys");
    let store = FileStore::open(&scratch.0).unwrap();
    let entry = store.entry(IDENTITY, SECRET);
    let key = entry.exchange_key(&[b"user-token", b"aud"]);
    assert_eq!(key.len(), 64);
    assert!(key.bytes().all(|byte| byte.is_ascii_hexdigit()));
    assert_eq!(
        key,
        store
            .entry(IDENTITY, SECRET)
            .exchange_key(&[b"user-token", b"aud"])
    );
    assert_ne!(
        key,
        store
            .entry(IDENTITY, OTHER_SECRET)
            .exchange_key(&[b"user-token", b"aud"])
    );
    assert_ne!(key, entry.exchange_key(&[b"user-tokena", b"ud"]));
    assert_ne!(key, entry.exchange_key(&[b"user-token", b"aud", b""]));
}

#[test]
fn readers_see_the_old_entry_or_the_new_one_never_a_part() {
    let scratch = Scratch::new("atomic");
    let store = FileStore::open(&scratch.0).unwrap();
    let entry = store.entry(IDENTITY, SECRET);
    let big = |fill: char| StoredTokens {
        access_token: Some(token(&fill.to_string().repeat(512 * 1024), 1)),
        ..StoredTokens::default()
    };
    let (first, second) = (big('a'), big('b'));
    entry.write(&first).unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for round in 0..60 {
                entry
                    .write(if round % 2 == 0 { &second } else { &first })
                    .unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let mut reads = 0;
        while !done.load(std::sync::atomic::Ordering::SeqCst) || reads == 0 {
            let read = entry
                .read()
                .unwrap()
                .expect("a complete entry at every instant");
            assert!(read == first || read == second);
            reads += 1;
        }
    });
    assert_eq!(listing(&scratch.0).len(), 1, "no temporary file left");
}

#[test]
fn a_failed_write_is_an_error_and_leaves_nothing_behind() {
    let scratch = Scratch::new("failed-write");
    let store = FileStore::open(&scratch.0).unwrap();
    let entry = store.entry(IDENTITY, SECRET);
    let huge = StoredTokens {
        access_token: Some(token(&"x".repeat(super::file::MAX_ENTRY_BYTES as usize), 1)),
        ..StoredTokens::default()
    };
    let error = entry.write(&huge).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Store);
    assert!(error.to_string().contains("over the limit"), "{error}");
    assert!(listing(&scratch.0).is_empty());
    // The directory vanishes under an open store: writes fail, reads find nothing.
    std::fs::remove_dir_all(&scratch.0).unwrap();
    let error = entry.write(&sample(String::new())).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Store);
    assert!(
        error.to_string().contains("cannot write an entry"),
        "{error}"
    );
    assert!(
        !error.to_string().contains("refresh-token-value"),
        "{error}"
    );
    assert_eq!(entry.read().unwrap(), None);
    entry.remove().unwrap();
}

#[test]
fn remove_drops_the_entry() {
    let scratch = Scratch::new("remove");
    let store = FileStore::open(&scratch.0).unwrap();
    let entry = store.entry(IDENTITY, SECRET);
    entry.write(&sample(String::new())).unwrap();
    entry.remove().unwrap();
    assert_eq!(entry.read().unwrap(), None);
    entry.remove().unwrap();
}

#[test]
fn the_lock_excludes_other_holders_until_dropped_and_the_wait_is_bounded() {
    let scratch = Scratch::new("lock");
    let store = FileStore::open(&scratch.0).unwrap();
    let entry = store.entry(IDENTITY, SECRET);
    let held = entry.lock(Instant::now() + Duration::from_secs(5)).unwrap();
    let started = Instant::now();
    let error = entry
        .lock(Instant::now() + Duration::from_millis(100))
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(error.kind(), ErrorKind::Store);
    assert!(error.to_string().contains("timed out"), "{error}");
    // Another entry has a lock of its own.
    let other = store.entry(IDENTITY, OTHER_SECRET);
    drop(other.lock(Instant::now()).unwrap());
    // A waiter gets the lock when the holder lets go.
    std::thread::scope(|scope| {
        let waiter = scope.spawn(|| {
            entry
                .lock(Instant::now() + Duration::from_secs(10))
                .map(drop)
        });
        std::thread::sleep(Duration::from_millis(50));
        drop(held);
        waiter.join().unwrap().unwrap();
    });
    // A deadline already past still makes one attempt.
    drop(entry.lock(Instant::now() - Duration::from_secs(1)).unwrap());
    assert_eq!(
        mode(&store.path().join(format!("{}.lock", entry.name))),
        0o600
    );
}

#[test]
fn a_forked_child_never_keeps_the_parents_lock() {
    let scratch = Scratch::new("fork");
    let store = FileStore::open(&scratch.0).unwrap();
    let entry = store.entry(IDENTITY, SECRET);
    let held = entry.lock(Instant::now() + Duration::from_secs(5)).unwrap();
    // SAFETY: the child only drops the copied lock value (atomics, no allocation),
    // sleeps and exits: all safe after fork in a threaded process.
    let child = unsafe { libc::fork() };
    assert!(child >= 0);
    if child == 0 {
        drop(held); // the copy must close nothing the parent relies on
        unsafe {
            libc::sleep(10);
            libc::_exit(0);
        }
    }
    drop(held);
    // The child lives on with copies of the parent's descriptors, minus the lock's.
    let again = entry.lock(Instant::now() + Duration::from_secs(2));
    // SAFETY: the child started above.
    unsafe {
        libc::kill(child, libc::SIGKILL);
        libc::waitpid(child, std::ptr::null_mut(), 0);
    }
    again.expect("the parent's release is the release, child alive or not");
}

const CHILD_DIR: &str = "WORKLOAD_IDENTITY_STORE_TEST_DIR";
const PROCESSES: usize = 8;
const ROUNDS: usize = 25;

/// One of the processes of `eight_processes_take_turns`; does nothing when run
/// by the test harness itself.
#[test]
fn lock_holder_process() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let entry = FileStore::open(&dir).unwrap().entry(IDENTITY, SECRET);
    let marker = dir.join("holder");
    for _ in 0..ROUNDS {
        let _lock = entry
            .lock(Instant::now() + Duration::from_secs(120))
            .unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&marker)
            .expect("two holders of the lock at once");
        let count: usize = entry
            .read()
            .unwrap()
            .and_then(|tokens| tokens.access_token)
            .map_or(0, |token| token.token.expose().parse().unwrap());
        std::thread::sleep(Duration::from_millis(1));
        let next = StoredTokens {
            access_token: Some(token(&(count + 1).to_string(), 1)),
            ..StoredTokens::default()
        };
        entry.write(&next).unwrap();
        std::fs::remove_file(&marker).unwrap();
    }
}

#[test]
fn eight_processes_take_turns() {
    let scratch = Scratch::new("processes");
    let store = FileStore::open(&scratch.0).unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "store::tests::lock_holder_process",
                    "--exact",
                    "--test-threads=1",
                ])
                .env(CHILD_DIR, &scratch.0)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let count = store
        .entry(IDENTITY, SECRET)
        .read()
        .unwrap()
        .and_then(|tokens| tokens.access_token)
        .map(|token| token.token.expose().to_owned());
    assert_eq!(count, Some((PROCESSES * ROUNDS).to_string()));
}

#[test]
fn debug_output_shows_no_token_or_key() {
    let scratch = Scratch::new("debug");
    let store = FileStore::open(&scratch.0).unwrap();
    let entry = store.entry(IDENTITY, SECRET);
    let shown = format!("{:?} {:?} {:?}", sample(String::new()), entry, store);
    for secret in [
        "access-token-value",
        "refresh-token-value",
        "quoted",
        "client-secret-1",
    ] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn the_handles_may_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<FileStore>();
    send_sync::<super::StoreEntry>();
    send_sync::<super::lock::StoreLock>();
    send_sync::<crate::jwt::SigningKey>();
}
