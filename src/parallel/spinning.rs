//! A forward pass's parallel loops shared out by threads that spin between loops instead of
//! sleeping: the threaded browser build's way to make a batch-1 pass scale across Web Workers.
//!
//! rayon puts an idle thread to sleep after a few dozen empty rounds, each a `yield_now`: a
//! system call natively (tens of microseconds in all), nothing in wasm (a microsecond). So
//! between Web Workers nearly every one of a pass's ~50 parallel loops ends with a thread asleep
//! on `Atomics.wait`, and the loop waits for it to be woken. While a [`Session`] runs, the other
//! pool threads instead poll for the next loop, as ONNX Runtime's and OpenMP's pools do, and the
//! thread that runs the pass waits for a loop's last task by polling too.
//!
//! Each thread of the pool owns one part of every loop's tasks, the same part of each loop, and
//! runs it front to back before it takes tasks left at the back of the others' parts. Loops split
//! their output in order, so a thread keeps writing the same regions of memory pass after pass,
//! and much of what a layer reads was written by the same core one layer before. Handing out
//! tasks first come, first served instead let the two threads' shares drift between passes: the
//! same build ran a pass in 20 ms or 27 ms for seconds at a time. In the slow passes the first
//! writes into fresh memory took 4× as long, most likely because the other core had written that
//! memory last (docs/PERFORMANCE.md, 25.).
//!
//! A task that panics aborts the process, whatever the profile's panic strategy: unwinding out
//! of it would leave the loop's other threads waiting for it forever, polling a `Loop` whose
//! stack frame is gone (`AbortOnUnwind`). The wasm builds abort on panic anyway.

use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use rayon::Yield;

use super::OutputPointer;

/// Parts a loop is split into, at most: the page starts at most 8 threads. In a larger pool
/// several threads share a part.
const MAX_PARTS: usize = 8;

/// One thread's part of a loop: tasks `start..end`, claimed from the front by its owner and from
/// the back by threads that have finished their own.
// A cache line of its own, so that the owners' claims do not contend with each other's.
#[repr(align(64))]
struct Part {
    start: usize,
    end: usize,
    /// Tasks claimed from the front (low 32 bits) and from the back (high 32 bits), in one word
    /// so that one compare-and-swap settles who takes the last one.
    claimed: AtomicU64,
}

impl Part {
    const FROM_FRONT: u64 = 1;
    const FROM_BACK: u64 = 1 << 32;

    /// The next task from the front (`FROM_FRONT`) or the back (`FROM_BACK`), if any is left.
    fn claim(&self, side: u64) -> Option<usize> {
        let mut claimed = self.claimed.load(Ordering::Relaxed);
        loop {
            let (front, back) = ((claimed & 0xffff_ffff) as usize, (claimed >> 32) as usize);
            if front + back >= self.end - self.start {
                return None;
            }
            match self.claimed.compare_exchange_weak(claimed, claimed + side, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) if side == Self::FROM_FRONT => return Some(self.start + front),
                Ok(_) => return Some(self.end - 1 - back),
                Err(now) => claimed = now,
            }
        }
    }
}

/// One parallel loop: `task(index)` for every index below the task count, each claimed by one
/// thread.
struct Loop<'a> {
    task: &'a (dyn Fn(usize) + Sync),
    parts: [Part; MAX_PARTS],
    part_count: usize,
    done: AtomicUsize,
}

impl<'a> Loop<'a> {
    /// `count` tasks in as many consecutive parts as the pool has threads (up to [`MAX_PARTS`]).
    fn new(task: &'a (dyn Fn(usize) + Sync), count: usize) -> Self {
        let part_count = rayon::current_num_threads().clamp(1, MAX_PARTS);
        let bound = |part: usize| part.min(part_count) * count / part_count;
        let parts = std::array::from_fn(|part| Part { start: bound(part), end: bound(part + 1), claimed: AtomicU64::new(0) });
        Self { task, parts, part_count, done: AtomicUsize::new(0) }
    }

    /// Runs the calling thread's own part, then whatever is left of the others', until no task
    /// is left to claim.
    fn work(&self) {
        let running = AbortOnUnwind;
        let own = rayon::current_thread_index().unwrap_or(0) % self.part_count;
        let mut done = 0;
        for step in 0..self.part_count {
            let (part, side) = match step {
                0 => (own, Part::FROM_FRONT),
                _ => ((own + step) % self.part_count, Part::FROM_BACK),
            };
            while let Some(index) = self.parts[part].claim(side) {
                (self.task)(index);
                done += 1;
            }
        }
        // Once per thread and loop, not per task: fewer trips of this cache line between cores.
        if done > 0 {
            self.done.fetch_add(done, Ordering::Release);
        }
        std::mem::forget(running);
    }
}

/// Dropped only while a task unwinds: ends the process before the unwinding frees what the
/// other threads still read.
struct AbortOnUnwind;

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        eprintln!("a parallel task panicked inside a spinning loop: aborting");
        std::process::abort();
    }
}

/// The threads of the pool, polling for loops while one pass runs.
pub struct Session {
    /// The loop being shared out, or null between loops. Points into the stack of the thread
    /// that runs the pass, which keeps it there until no helper can still read it.
    current: AtomicPtr<Loop<'static>>,
    /// Helpers that may be reading `current`'s loop.
    reading: AtomicUsize,
    stop: AtomicBool,
}

thread_local! {
    /// Set on the thread that runs a session's pass, while it runs: its loops are shared out
    /// through the session, anyone else's through rayon.
    static PASS_THREAD: Cell<Option<&'static Session>> = const { Cell::new(None) };
}

impl Session {
    const fn new() -> Self {
        Self { current: AtomicPtr::new(ptr::null_mut()), reading: AtomicUsize::new(0), stop: AtomicBool::new(false) }
    }

    /// Runs `pass` on a thread of the pool while its other threads help with every loop shared
    /// out through [`Session::current`]. A pass started while another runs gets plain rayon.
    pub fn run<R: Send>(pass: impl FnOnce() -> R + Send) -> R {
        static SESSION: Session = Session::new();
        static HELD: AtomicBool = AtomicBool::new(false);
        if HELD.swap(true, Ordering::Acquire) {
            return rayon::join(pass, || ()).0;
        }
        let session = &SESSION;
        session.stop.store(false, Ordering::Relaxed);
        // The scope returns once every helper has seen `stop` and left.
        let result = rayon::scope(|scope| {
            // A job in each thread's own queue, which no other thread takes. (`Scope::spawn`
            // would queue them on this thread, whose waits below run queued jobs: it could pick
            // up a helper's loop and never come back.)
            let pass_thread = rayon::current_thread_index();
            scope.spawn_broadcast(move |_, thread| {
                if Some(thread.index()) != pass_thread {
                    session.help();
                }
            });
            PASS_THREAD.set(Some(session));
            let result = pass();
            PASS_THREAD.set(None);
            session.stop.store(true, Ordering::Release);
            result
        });
        HELD.store(false, Ordering::Release);
        result
    }

    /// The session whose pass runs on this thread, if any.
    pub fn current() -> Option<&'static Session> {
        PASS_THREAD.get()
    }

    /// A helper's life: run the tasks of each loop that appears, and whatever rayon work other
    /// code (burn's own operations) queues meanwhile, until the pass is over.
    fn help(&self) {
        while !self.stop.load(Ordering::Acquire) {
            if !self.current.load(Ordering::Relaxed).is_null() {
                // Announce the read before making it, so that the loop's owner cannot miss it
                // (see `for_each_index`); all four accesses are sequentially consistent.
                self.reading.fetch_add(1, Ordering::SeqCst);
                let current = self.current.load(Ordering::SeqCst);
                // SAFETY: the owner keeps the loop alive until `reading` is back to zero.
                if let Some(current) = unsafe { current.as_ref() } {
                    current.work();
                }
                self.reading.fetch_sub(1, Ordering::SeqCst);
            } else if rayon::yield_now() != Some(Yield::Executed) {
                std::hint::spin_loop();
            }
        }
    }

    /// Runs `task(index)` for every index below `count` on this thread and the helpers; returns
    /// when all have run. Call it only from inside the pass that [`Session::run`] started.
    pub fn for_each_index(&self, count: usize, task: &(dyn Fn(usize) + Sync)) {
        let shared = Loop::new(task, count);
        // SAFETY (of the lifetime erased here): `shared` outlives every read of it, below.
        let pointer = ptr::from_ref(&shared).cast_mut().cast::<Loop<'static>>();
        self.current.store(pointer, Ordering::SeqCst);
        shared.work();
        while shared.done.load(Ordering::Acquire) < count {
            if rayon::yield_now() != Some(Yield::Executed) {
                std::hint::spin_loop();
            }
        }
        self.current.store(ptr::null_mut(), Ordering::SeqCst);
        // A helper that announced its read after this load will find `current` null.
        while self.reading.load(Ordering::SeqCst) != 0 {
            std::hint::spin_loop();
        }
    }

    /// [`Session::for_each_index`] over tasks of `min_chunks` consecutive `chunk_len`-element
    /// chunks of `output`: `work(index, chunk)` for each chunk.
    pub fn for_each_chunk<T: Send>(&self, output: &mut [T], chunk_len: usize, min_chunks: usize, work: &(dyn Fn(usize, &mut [T]) + Sync)) {
        let (len, chunks) = (output.len(), output.len().div_ceil(chunk_len));
        let output = OutputPointer(output.as_mut_ptr());
        self.for_each_index(chunks.div_ceil(min_chunks), &|task| {
            for index in task * min_chunks..((task + 1) * min_chunks).min(chunks) {
                let start = index * chunk_len;
                // SAFETY: chunk `index` lies inside `output` and belongs to this task alone.
                work(index, unsafe { std::slice::from_raw_parts_mut(output.add(start), chunk_len.min(len - start)) });
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use super::Session;

    /// One pass at a time: a second one would run on plain rayon, outside the session.
    static ONE_PASS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// A panicking task ends the process (checked in a child process: this one must survive).
    #[cfg(unix)]
    #[test]
    fn a_panicking_task_aborts_instead_of_unwinding() {
        use std::os::unix::process::ExitStatusExt;
        if std::env::var_os("EFFILENS_PANICKING_TASK").is_some() {
            Session::run(|| {
                let session = Session::current().expect("the pass runs in the session");
                session.for_each_index(64, &|index| assert!(index != 40, "task 40 fails"));
            });
            return;
        }
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "parallel::spinning::tests::a_panicking_task_aborts_instead_of_unwinding", "--test-threads", "1", "--nocapture"])
            .env("EFFILENS_PANICKING_TASK", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.signal(), Some(6), "the child was not aborted: {:?}\n{stderr}", output.status);
        assert!(stderr.contains("aborting"), "{stderr}");
    }

    #[test]
    fn every_task_of_every_loop_runs_exactly_once() {
        let _one_pass = ONE_PASS.lock().unwrap();
        let runs: Vec<AtomicU32> = (0..1000).map(|_| AtomicU32::new(0)).collect();
        Session::run(|| {
            let session = Session::current().expect("the pass runs in the session");
            // Many short loops, as a batch-1 pass has: each must wait for all of its tasks.
            for count in [0, 1, 2, 3, 7, 64, 1000].into_iter().cycle().take(500) {
                session.for_each_index(count, &|index| {
                    runs[index].fetch_add(1, Ordering::Relaxed);
                });
            }
        });
        let expected = |index: usize| [0, 1, 2, 3, 7, 64, 1000].iter().filter(|&&count| index < count).count() as u32;
        for (index, runs) in runs.iter().enumerate() {
            // 500 loops cycle through the 7 sizes: 71 full cycles plus the first 3 sizes.
            let want = 71 * expected(index) + [0, 1, 2].iter().filter(|&&count| index < count).count() as u32;
            assert_eq!(runs.load(Ordering::Relaxed), want, "task {index}");
        }
    }

    #[test]
    fn the_other_threads_take_tasks() {
        let _one_pass = ONE_PASS.lock().unwrap();
        if rayon::current_num_threads() < 2 {
            return;
        }
        // Two tasks that each wait for the other to start: only a helper can take the second
        // while the pass's own thread waits in the first.
        let started = AtomicUsize::new(0);
        let deadline = Instant::now() + Duration::from_secs(10);
        let met = Session::run(|| {
            let met = AtomicBool::new(false);
            Session::current().unwrap().for_each_index(2, &|_| {
                if started.fetch_add(1, Ordering::SeqCst) == 0 {
                    while started.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
                        std::hint::spin_loop();
                    }
                    met.store(started.load(Ordering::SeqCst) == 2, Ordering::SeqCst);
                }
            });
            met.into_inner()
        });
        assert!(met, "no other thread took a task within 10 s");
    }

    #[test]
    fn each_thread_begins_with_its_own_part() {
        let _one_pass = ONE_PASS.lock().unwrap();
        // A pool of its own, so that the parts do not depend on this machine's cores.
        let threads = 3;
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        // Each task waits until every thread has started one, so that no thread can finish its
        // part and take another's first task before the owner arrives.
        let count = 3 * threads;
        let started = AtomicUsize::new(0);
        let first_tasks: Vec<AtomicUsize> = (0..threads).map(|_| AtomicUsize::new(usize::MAX)).collect();
        let deadline = Instant::now() + Duration::from_secs(10);
        pool.install(|| {
            Session::run(|| {
                Session::current().unwrap().for_each_index(count, &|index| {
                    let thread = rayon::current_thread_index().unwrap();
                    if first_tasks[thread].compare_exchange(usize::MAX, index, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
                        started.fetch_add(1, Ordering::SeqCst);
                    }
                    while started.load(Ordering::SeqCst) < threads && Instant::now() < deadline {
                        std::hint::spin_loop();
                    }
                });
            })
        });
        let first_tasks: Vec<usize> = first_tasks.iter().map(|task| task.load(Ordering::SeqCst)).collect();
        let own_parts: Vec<usize> = (0..threads).map(|thread| thread * count / threads).collect();
        assert_eq!(first_tasks, own_parts, "the first task each thread ran, by thread");
    }

    #[test]
    fn chunks_cover_the_output_once_and_rayon_work_inside_a_pass_finishes() {
        let _one_pass = ONE_PASS.lock().unwrap();
        let mut output = vec![0u32; 10_001];
        let sum = Session::run(|| {
            let session = Session::current().unwrap();
            session.for_each_chunk(&mut output, 100, 3, &|index, chunk| {
                for value in chunk.iter_mut() {
                    *value += index as u32 + 1;
                }
            });
            // burn's own operations use rayon inside a pass: the helpers must take that too.
            use rayon::prelude::*;
            (0..10_000u64).into_par_iter().sum::<u64>()
        });
        assert_eq!(sum, 49_995_000);
        for (position, &value) in output.iter().enumerate() {
            assert_eq!(value, (position / 100) as u32 + 1, "at {position}");
        }
    }

    #[test]
    fn a_pass_inside_a_pass_keeps_the_outer_session() {
        let _one_pass = ONE_PASS.lock().unwrap();
        let inner = Session::run(|| {
            let outer = Session::current().expect("the outer pass runs in the session");
            Session::run(|| Session::current().is_some_and(|inner| std::ptr::eq(inner, outer)))
        });
        assert!(inner, "the inner pass runs on the same thread, still inside the outer session");
    }
}
