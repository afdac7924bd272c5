//! Work split across cores: rayon natively and in the threaded browser build, one thread in the
//! single-threaded browser build (a wasm page without Web Workers has no pool to share with).
//! In the threaded browser build a forward pass's loops go to spinning threads instead
//! ([`spinning`]).

#[cfg(any(test, all(target_arch = "wasm32", feature = "threads")))]
mod spinning;

/// Runs `work` on a thread of the pool, so that the parallel loops inside it are shared out from
/// there. Started from outside the pool, each loop would hand its work in and wait to be woken
/// when it is done: a round trip per layer, which costs little natively but several milliseconds
/// per image between a browser's Web Workers. In the threaded browser build the other threads
/// also poll for the loops while `work` runs, instead of sleeping between them ([`spinning`]).
pub fn in_pool<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    #[cfg(all(target_arch = "wasm32", feature = "threads"))]
    return spinning::Session::run(work);
    #[cfg(not(target_arch = "wasm32"))]
    return rayon::join(work, || ()).0;
    #[cfg(not(any(not(target_arch = "wasm32"), feature = "threads")))]
    work()
}

thread_local! {
    /// Set while this thread runs one item of [`map_one_per_core`]: the loops inside stay on it.
    static ALONE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `work` on each item, in order, each item on one core with every loop inside it kept there:
/// for a batch of images, whole forward passes side by side, each holding only its own image's
/// maps instead of the batch's (docs/PERFORMANCE.md, 30.).
pub fn map_one_per_core<T, R, F>(items: &[T], work: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Send + Sync,
{
    /// Puts the flag back however the item ends: a panic caught further up must not leave a
    /// pool thread running every later loop alone.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            ALONE.set(self.0);
        }
    }
    let alone = |item: &T| {
        let _restore = Restore(ALONE.replace(true));
        work(item)
    };
    #[cfg(all(target_arch = "wasm32", feature = "threads"))]
    if let Some(session) = spinning::Session::current() {
        let mut results: Vec<R> = Vec::with_capacity(items.len());
        let output = OutputPointer(results.as_mut_ptr());
        session.for_each_index(items.len(), &|index| {
            // SAFETY: slot `index` is inside the buffer's capacity and this task's alone.
            unsafe { output.add(index).write(alone(&items[index])) };
        });
        // SAFETY: every index below the count ran, and wrote its slot.
        unsafe { results.set_len(items.len()) };
        return results;
    }
    #[cfg(any(not(target_arch = "wasm32"), feature = "threads"))]
    {
        use rayon::prelude::*;
        items.par_iter().with_max_len(1).map(alone).collect()
    }
    #[cfg(not(any(not(target_arch = "wasm32"), feature = "threads")))]
    items.iter().map(alone).collect()
}

/// `work` on each item, in order, on every core.
pub fn map<T, R, F>(items: &[T], work: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Send + Sync,
{
    #[cfg(any(not(target_arch = "wasm32"), feature = "threads"))]
    {
        use rayon::prelude::*;
        items.par_iter().map(work).collect()
    }
    #[cfg(not(any(not(target_arch = "wasm32"), feature = "threads")))]
    items.iter().map(work).collect()
}

/// Runs `work(index, chunk)` on every `chunk_len`-element chunk of `output`, `min_chunks` chunks
/// or more to a task so that tiny chunks do not drown in scheduling.
pub fn for_each_chunk<T, F>(output: &mut [T], chunk_len: usize, min_chunks: usize, work: F)
where
    T: Send,
    F: Fn(usize, &mut [T]) + Send + Sync,
{
    if ALONE.get() {
        return output.chunks_mut(chunk_len).enumerate().for_each(|(index, chunk)| work(index, chunk));
    }
    #[cfg(all(target_arch = "wasm32", feature = "threads"))]
    if let Some(session) = spinning::Session::current() {
        return session.for_each_chunk(output, chunk_len, min_chunks, &work);
    }
    #[cfg(any(not(target_arch = "wasm32"), feature = "threads"))]
    {
        use rayon::prelude::*;
        output.par_chunks_mut(chunk_len).with_min_len(min_chunks).enumerate().for_each(|(index, chunk)| work(index, chunk));
    }
    #[cfg(not(any(not(target_arch = "wasm32"), feature = "threads")))]
    {
        let _ = min_chunks;
        output.chunks_mut(chunk_len).enumerate().for_each(|(index, chunk)| work(index, chunk));
    }
}

/// Runs `work(index)` for every index below `count`, as [`for_each_chunk`] does.
pub fn for_each_index<F>(count: usize, work: F)
where
    F: Fn(usize) + Send + Sync,
{
    if ALONE.get() {
        return (0..count).for_each(work);
    }
    #[cfg(all(target_arch = "wasm32", feature = "threads"))]
    if let Some(session) = spinning::Session::current() {
        return session.for_each_index(count, &work);
    }
    #[cfg(any(not(target_arch = "wasm32"), feature = "threads"))]
    {
        use rayon::prelude::*;
        (0..count).into_par_iter().for_each(work);
    }
    #[cfg(not(any(not(target_arch = "wasm32"), feature = "threads")))]
    (0..count).for_each(work);
}

/// How many threads the loops share out to: the pool's, or one in the single-threaded browser
/// build.
pub fn threads() -> usize {
    #[cfg(any(not(target_arch = "wasm32"), feature = "threads"))]
    return rayon::current_num_threads();
    #[cfg(not(any(not(target_arch = "wasm32"), feature = "threads")))]
    1
}

/// An output buffer shared with the tasks that each write their own part of it.
pub struct OutputPointer<T>(pub *mut T);

impl<T> OutputPointer<T> {
    /// # Safety
    /// As `pointer::add`: `offset` stays inside the buffer.
    pub unsafe fn add(self, offset: usize) -> *mut T {
        // SAFETY: the caller's.
        unsafe { self.0.add(offset) }
    }
}

// Not derived: a derive would ask `T: Copy`, and the pointer is copied, not what it points to.
impl<T> Clone for OutputPointer<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for OutputPointer<T> {}
// SAFETY: every user hands each task a part of the buffer that no other task touches, and
// `T: Send` lets the values be written from another thread.
unsafe impl<T: Send> Send for OutputPointer<T> {}
unsafe impl<T: Send> Sync for OutputPointer<T> {}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::thread::{self, ThreadId};
    use std::time::Duration;

    /// The loops inside an item stay on its thread, even with other threads idle; the results
    /// come back in the items' order; and the loops after it are shared out again.
    #[test]
    fn an_item_keeps_its_loops_on_its_own_thread() {
        let threads_of = |work: &dyn Fn(&Mutex<Vec<ThreadId>>)| {
            let seen = Mutex::new(Vec::new());
            work(&seen);
            seen.into_inner().unwrap()
        };
        // Slow tasks, so that an idle thread would take some if it could.
        let slow_loops = |seen: &Mutex<Vec<ThreadId>>| {
            super::for_each_index(16, |_| {
                thread::sleep(Duration::from_millis(2));
                seen.lock().unwrap().push(thread::current().id());
            });
            let mut output = [0_usize; 16];
            super::for_each_chunk(&mut output, 2, 1, |_, _| {
                thread::sleep(Duration::from_millis(2));
                seen.lock().unwrap().push(thread::current().id());
            });
        };
        let results = super::map_one_per_core(&[10, 20, 30], |&item| {
            let own = thread::current().id();
            (item + 1, threads_of(&slow_loops).iter().all(|&thread| thread == own))
        });
        assert_eq!(results, [(11, true), (21, true), (31, true)]);
        if super::threads() > 1 {
            let threads = threads_of(&slow_loops);
            assert!(threads.iter().any(|&thread| thread != threads[0]), "the loops after it are shared out again");
        }
    }
}
