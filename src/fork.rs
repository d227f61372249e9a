//! Fork safety: a forked child never inherits a lock state.
//!
//! Every lock of the library lives in a [`ForkLocal`]: a value tagged with the
//! process's fork generation, which the `pthread_atfork` child handler bumps.
//! At its first use in a child, a `ForkLocal` is replaced by a fresh value and
//! the inherited one is leaked, never locked, unlocked or dropped: a thread of
//! the parent may have held it, waited on it or been changing it at the moment
//! of `fork`, and that thread does not exist in the child. What needs no lock
//! carries over: the cached tokens (behind `ArcSwap`), the counters (atomics),
//! the log sink (behind `ArcSwap`).
//!
//! The locks are `std::sync` ones: on Linux their whole state is the lock word,
//! whereas parking_lot keeps waiting threads in a process-wide table that a
//! child would inherit mid-update.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arc_swap::ArcSwapOption;

/// Bumped in every forked child (by the handler below, before `fork` returns there).
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The fork generation of this process: 0 in the original process, one more
/// in each child than in its parent. One relaxed load.
fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

extern "C" fn in_child() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// Registers the child handler once per process; no lock is taken (a thread
/// that loses the race goes on at once: the handler only matters at a `fork`).
pub(crate) fn install_handlers() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::AcqRel) {
        return;
    }
    // SAFETY: a plain function pointer with the signature pthread_atfork expects.
    let result = unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
    if result != 0 {
        crate::log::log(crate::log::Level::Warn, || {
            "could not register the fork handler: a forked child may hang".to_owned()
        });
    }
}

/// A value that a forked child replaces instead of inheriting (see the module
/// doc). Created empty; built by the `fresh` function of the first
/// [`ForkLocal::get`] in each process. Thread-safe, lock-free.
#[derive(Debug)]
pub(crate) struct ForkLocal<T> {
    slot: ArcSwapOption<Tagged<T>>,
}

#[derive(Debug)]
struct Tagged<T> {
    generation: u64,
    value: Arc<T>,
}

impl<T> ForkLocal<T> {
    /// An empty slot; usable in a `static`.
    pub(crate) const fn new() -> Self {
        ForkLocal {
            slot: ArcSwapOption::const_empty(),
        }
    }

    /// This process's value. The first call in a process (the original one or
    /// a child) builds it with `fresh`, which gets the value inherited from the
    /// parent, if any, to copy from (only through a non-blocking `try_lock`).
    pub(crate) fn get(&self, fresh: impl Fn(Option<&T>) -> T) -> Arc<T> {
        loop {
            let current = self.slot.load_full();
            let generation = generation();
            if let Some(tagged) = &current {
                if tagged.generation == generation {
                    return tagged.value.clone();
                }
            }
            let value = Arc::new(fresh(current.as_deref().map(|tagged| &*tagged.value)));
            let replacement = Arc::new(Tagged {
                generation,
                value: value.clone(),
            });
            let previous = self.slot.compare_and_swap(&current, Some(replacement));
            let replaced = match (&*previous, &current) {
                (Some(previous), Some(current)) => Arc::ptr_eq(previous, current),
                (None, None) => true,
                _ => false,
            };
            if replaced {
                // The inherited value may be locked, or half-changed, by a
                // thread that does not exist here: never touch it again.
                std::mem::forget(current);
                std::mem::forget(arc_swap::Guard::into_inner(previous));
                return value;
            }
            // Another thread replaced it first: use theirs.
        }
    }
}

/// Locks `mutex`; a panic of another holder does not poison it (every value
/// behind the library's locks is valid at every step).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
