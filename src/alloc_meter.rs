//! Per-thread net heap bytes, for holding the analyzer's state under a byte budget.
//!
//! The binary's allocator is wrapped in [`Metered`], which adds each allocation's size to a
//! counter of the allocating thread and subtracts each free's. The analyzer runs one request at
//! a time on one thread, so the counter's change across an ingest is exactly how much the
//! analyzer's state grew (temporaries are freed before it returns, and the request itself is
//! freed elsewhere). Without the wrapper (library users, unit tests) the counter stays 0.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

thread_local! {
    // Const-initialized and without a destructor: safe to touch from inside the allocator.
    static NET: Cell<i64> = const { Cell::new(0) };
}

static INSTALLED: AtomicBool = AtomicBool::new(false);

/// An allocator that counts net bytes per thread, then defers to `A`.
pub struct Metered<A>(pub A);

fn add(n: i64) {
    let _ = NET.try_with(|c| c.set(c.get().wrapping_add(n)));
}

// SAFETY: every call is forwarded unchanged to the wrapped allocator; only counters change.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Metered<A> {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { self.0.alloc(l) };
        if !p.is_null() {
            add(l.size() as i64);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = unsafe { self.0.alloc_zeroed(l) };
        if !p.is_null() {
            add(l.size() as i64);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { self.0.dealloc(p, l) };
        add(-(l.size() as i64));
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { self.0.realloc(p, l, new) };
        if !q.is_null() {
            add(new as i64 - l.size() as i64);
        }
        q
    }
}

/// Called once by a binary whose global allocator is [`Metered`].
pub fn installed() {
    INSTALLED.store(true, Ordering::Relaxed);
}

/// Whether heap bytes are being counted.
pub fn is_installed() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

/// Net bytes allocated by this thread so far (0 without [`Metered`]).
pub fn thread_net() -> i64 {
    NET.try_with(Cell::get).unwrap_or(0)
}
