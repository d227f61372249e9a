//! The advisory lock of one entry, across processes and threads.
//!
//! `flock(2)` on the entry's lock file, tried with `LOCK_NB` and retried after
//! short sleeps (1 ms, doubling up to 20 ms) until the deadline: a bounded wait
//! with no timer thread and no signal. An flock belongs to an open file
//! description, so each acquisition opens the lock file anew: two threads of
//! one process exclude each other as two processes do.
//!
//! Fork. A child gets copies of its parent's descriptors, sharing their open
//! file descriptions; a copied lock descriptor would keep the parent's lock
//! held after the parent released it, for as long as the child lived. So every
//! lock descriptor is registered in a fixed table of atomics, and a fork
//! handler closes them all in the child (atomics and `close` only: safe in a
//! child of a threaded process). A child thus never holds its parent's locks,
//! and the parent's release is the release. Release closes the descriptor and
//! never calls `LOCK_UN`, which would act on a description a child might share.
//! A lock value the forking thread held is copied into the child too: its slot
//! was emptied there, so dropping it closes nothing. `O_CLOEXEC` covers `exec`.
//! A thread opening or closing a lock descriptor holds off fork's prepare
//! handler for that instant, so no descriptor is ever copied unregistered.

use std::ffi::CString;
use std::os::fd::{AsRawFd, IntoRawFd};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::store::file::{openat, Directory};

/// Locks held (or being acquired) at once by one process; more wait for a slot.
const SLOTS: usize = 64;
const EMPTY: u64 = u64::MAX;
/// Each slot holds `generation << 32 | fd`, or `EMPTY`.
static HELD: [AtomicU64; SLOTS] = [const { AtomicU64::new(EMPTY) }; SLOTS];
static GENERATION: AtomicU32 = AtomicU32::new(0);
/// Threads between opening and registering, or unregistering and closing.
static BUSY: AtomicUsize = AtomicUsize::new(0);
/// Set by the prepare handler of a fork until the fork is done.
static FORKING: AtomicBool = AtomicBool::new(false);

const FIRST_PAUSE: Duration = Duration::from_millis(1);
const LONGEST_PAUSE: Duration = Duration::from_millis(20);

/// The held lock of one entry; released when dropped. `Send + Sync`.
///
/// While it is held, no other holder of the same entry's lock exists in any
/// process sharing the directory.
#[derive(Debug)]
pub(crate) struct StoreLock {
    slot: usize,
    value: u64,
}

impl StoreLock {
    /// Takes the lock named `lock_name` in `directory`, waiting until `deadline`
    /// at most; a deadline already past allows one attempt.
    pub(crate) fn acquire(
        directory: &Directory,
        lock_name: &CString,
        deadline: Instant,
    ) -> Result<StoreLock, Error> {
        install_fork_handlers();
        let mut pause = FIRST_PAUSE;
        let timed_out = || {
            directory.error("timed out waiting for the lock of an entry (another holder kept it)")
        };
        let lock = loop {
            match register(directory, lock_name)? {
                Some(lock) => break lock,
                None => {
                    if !sleep_before(deadline, &mut pause) {
                        return Err(directory.error(format!(
                            "this process already holds {SLOTS} token store locks"
                        )));
                    }
                }
            }
        };
        loop {
            // SAFETY: flock on a descriptor this value owns.
            if unsafe { libc::flock(lock.fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                return Ok(lock);
            }
            let error = std::io::Error::last_os_error();
            match error.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EWOULDBLOCK) => {
                    if !sleep_before(deadline, &mut pause) {
                        return Err(timed_out());
                    }
                }
                _ => return Err(directory.error(format!("cannot lock an entry ({error})"))),
            }
        }
    }

    fn fd(&self) -> i32 {
        (self.value & 0xffff_ffff) as i32
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        let _section = Section::enter();
        // Closing the last descriptor of the description releases the flock.
        if HELD[self.slot]
            .compare_exchange(self.value, EMPTY, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            // SAFETY: the descriptor this value registered and still owns.
            unsafe { libc::close(self.fd()) };
        }
    }
}

/// Opens the lock file and records its descriptor in a free slot; `None` when
/// every slot is taken.
fn register(directory: &Directory, lock_name: &CString) -> Result<Option<StoreLock>, Error> {
    let _section = Section::enter();
    let flags = libc::O_RDWR | libc::O_CREAT | libc::O_CLOEXEC | libc::O_NOFOLLOW;
    let file = openat(directory, lock_name, flags, 0o600)
        .map_err(|error| directory.error(format!("cannot open the lock of an entry ({error})")))?;
    let generation = GENERATION.fetch_add(1, Ordering::Relaxed);
    let value = (u64::from(generation) << 32) | u64::from(file.as_raw_fd() as u32);
    for (slot, held) in HELD.iter().enumerate() {
        if held
            .compare_exchange(EMPTY, value, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            let _ = file.into_raw_fd(); // owned by the slot from now on
            return Ok(Some(StoreLock { slot, value }));
        }
    }
    Ok(None)
}

/// Sleeps the next pause (cut at the deadline); false once the deadline passed.
fn sleep_before(deadline: Instant, pause: &mut Duration) -> bool {
    let now = Instant::now();
    if now >= deadline {
        return false;
    }
    std::thread::sleep((*pause).min(deadline - now));
    *pause = (*pause * 2).min(LONGEST_PAUSE);
    true
}

/// A stretch during which a lock descriptor is open but not registered, or
/// unregistered but not closed: fork waits for it to end.
struct Section;

impl Section {
    fn enter() -> Section {
        loop {
            BUSY.fetch_add(1, Ordering::SeqCst);
            if !FORKING.load(Ordering::SeqCst) {
                return Section;
            }
            BUSY.fetch_sub(1, Ordering::SeqCst);
            std::thread::yield_now();
        }
    }
}

impl Drop for Section {
    fn drop(&mut self) {
        BUSY.fetch_sub(1, Ordering::SeqCst);
    }
}

extern "C" fn prepare() {
    FORKING.store(true, Ordering::SeqCst);
    while BUSY.load(Ordering::SeqCst) != 0 {
        std::thread::yield_now();
    }
}

extern "C" fn parent() {
    FORKING.store(false, Ordering::SeqCst);
}

extern "C" fn child() {
    for held in &HELD {
        let value = held.swap(EMPTY, Ordering::SeqCst);
        if value != EMPTY {
            // SAFETY: a registered lock descriptor, copied by fork; the child
            // has no owner for it.
            unsafe { libc::close((value & 0xffff_ffff) as i32) };
        }
    }
    // A thread of the parent that was backing out of `Section::enter` has no
    // counterpart here.
    BUSY.store(0, Ordering::SeqCst);
    FORKING.store(false, Ordering::SeqCst);
}

fn install_fork_handlers() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: plain function pointers with the signature pthread_atfork expects.
        let result = unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
        if result != 0 {
            crate::log::log(crate::log::Level::Warn, || {
                "could not register the token store's fork handlers".to_owned()
            });
        }
    });
}
