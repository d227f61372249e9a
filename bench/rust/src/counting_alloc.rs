//! A global allocator that counts allocations and live bytes, process-wide,
//! on top of the system allocator, once [`enable`] has been called. Until
//! then it only reads a flag: shared counters would cost the timed sections
//! a few ns per allocation and make threads contend on their cache line.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

struct Counting;

static ENABLED: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static LIVE_BYTES: AtomicU64 = AtomicU64::new(0);

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Counts an allocation of `size` bytes, and the release of `freed` bytes.
fn note(allocated: Option<usize>, freed: usize) {
    if ENABLED.load(Relaxed) {
        if let Some(size) = allocated {
            ALLOCATIONS.fetch_add(1, Relaxed);
            LIVE_BYTES.fetch_add(size as u64, Relaxed);
        }
        LIVE_BYTES.fetch_sub(freed as u64, Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(Some(layout.size()), 0);
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(Some(layout.size()), 0);
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(None, layout.size());
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(Some(new_size), layout.size());
        System.realloc(ptr, layout, new_size)
    }
}

/// Starts counting (for the rest of the process). Live bytes are then
/// counted from zero and may wrap below it when earlier memory is freed:
/// compare two readings, never one.
pub fn enable() {
    ENABLED.store(true, Relaxed);
}

/// Allocations (alloc, alloc_zeroed and realloc calls) since the start.
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Relaxed)
}

/// Bytes allocated and not yet freed.
pub fn live_bytes() -> u64 {
    LIVE_BYTES.load(Relaxed)
}
