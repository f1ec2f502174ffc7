//! The allocator settings (every command; the trimming in the console and `watch`, which run for
//! hours and decode large answers every refresh on several threads). glibc gives each thread
//! that allocates its own arena and keeps freed pages of every arena, so the resident size crept
//! up round after round although the live heap stayed the same. So: at most two arenas, freed
//! pages handed back now and then, and large blocks (answer buffers, 1,000-job lists, their
//! indexes) kept out of the heap: glibc otherwise raises its mmap threshold to the largest block
//! freed, after which every refresh's large blocks land in the heap between live data and their
//! pages stay resident (at 10 × 1,000 jobs, 8 MB of the resident size). Nothing happens on other
//! C libraries.

use std::time::Duration;

/// How often freed pages go back to the system (about once per default refresh).
pub const TRIM_EVERY: Duration = Duration::from_secs(2);

/// Blocks of at least this size are mapped on their own and unmapped when freed.
/// (128 KiB: above SQLite's 86 KB page-cache blocks, which come and go with every temporary
/// b-tree, and below a 1,000-job list's buffers.)
pub const MMAP_THRESHOLD: usize = 128 * 1024;

/// At most two malloc arenas, and a fixed mmap threshold (call before the runtime starts its
/// threads).
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's parameters; M_ARENA_MAX and
    // M_MMAP_THRESHOLD with positive values (the threshold below glibc's 32 MiB maximum) are
    // valid at any time.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int);
    }
}

/// Returns the allocator's free pages to the system.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes the allocator's own locks and only releases memory that is
    // free; it is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Trims every [`TRIM_EVERY`] until the runtime stops.
pub async fn trim_periodically() {
    let mut every = tokio::time::interval(TRIM_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        every.tick().await;
        trim();
    }
}
