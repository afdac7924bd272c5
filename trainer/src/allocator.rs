//! The trainer's memory allocator: mimalloc, told to keep the memory it frees.
//!
//! The network allocates and frees buffers of megabytes in every layer. glibc's malloc returned
//! them to the kernel at each free, and faulting zeroed pages back in took ~30 % of a forward pass
//! (perf: `clear_page_erms`). mimalloc reuses freed blocks, but by default still hands pages back
//! ("purges" them) a second after they were freed, and a training step, seconds long, then faults
//! in its hundreds of megabytes of gradient buffers again: ~20 % of a full fine-tuning step here
//! (docs/PERFORMANCE.md). The trainer reaches the same peak at every step, so it keeps the pages.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_t` (libmimalloc-sys exports the function
/// but not this constant); the test below checks it against the option's documented default.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Never give freed pages back to the kernel while the process runs, unless the user set
/// `MIMALLOC_PURGE_DELAY` (milliseconds; mimalloc reads it at start-up) to choose otherwise.
pub fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: setting an option is thread-safe in mimalloc and takes no pointers.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reading an option takes no pointers.
        let read = || unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        assert_eq!(read(), 1000, "mimalloc v3's default purge delay is 1000 ms: is PURGE_DELAY still option 15?");
        keep_freed_memory();
        assert_eq!(read(), -1);
    }
}
