//! The console's allocator settings: a long-running process that decodes large answers every
//! refresh on several threads. glibc gives each thread that allocates its own arena and keeps
//! freed pages of every arena, so the resident size crept up round after round although the live
//! heap stayed the same. The console limits the arenas and hands freed pages back now and then.
//! Nothing happens on other C libraries.

use std::time::Duration;

/// How often freed pages go back to the system (about once per default refresh).
pub const TRIM_EVERY: Duration = Duration::from_secs(2);

/// At most two malloc arenas (call before the runtime starts its threads).
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's parameters; M_ARENA_MAX with a positive
    // value is valid at any time.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
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
