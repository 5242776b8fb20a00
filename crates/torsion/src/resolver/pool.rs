//! [`Pool`]: a bounded pool of threads for blocking lookups, shared by every reactor of
//! the process.
//!
//! A burst of lookups queues instead of starting a thread each. Threads start when a
//! lookup finds none idle and end after a while without work.

use std::collections::VecDeque;
use std::io;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// The most lookups that run at once in the process (Twisted's thread pool runs at most
/// 10; lookups are all this one does).
pub(crate) const MAX_THREADS: usize = 4;
/// How long an idle thread waits for work before it ends.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send>;

/// A bounded pool of threads running jobs in the order they came.
pub(crate) struct Pool {
    state: Mutex<State>,
    work: Condvar,
    max_threads: usize,
}

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    threads: usize,
    idle: usize,
}

impl Pool {
    pub(crate) const fn new(max_threads: usize) -> Pool {
        Pool {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                threads: 0,
                idle: 0,
            }),
            work: Condvar::new(),
            max_threads,
        }
    }

    /// Queues `job`; starts a thread for it if none is idle and the bound allows.
    ///
    /// # Errors
    ///
    /// The OS error if no thread is running and none can be started (the job is dropped).
    pub(crate) fn submit(&'static self, job: Job) -> io::Result<()> {
        let mut state = self.lock();
        state.jobs.push_back(job);
        if state.idle > 0 || state.threads >= self.max_threads {
            self.work.notify_one();
            return Ok(());
        }
        state.threads += 1;
        drop(state);
        let spawned = std::thread::Builder::new()
            .name("torsion-resolver".into())
            .spawn(move || self.work_loop());
        if let Err(err) = spawned {
            let mut state = self.lock();
            state.threads -= 1;
            if state.threads == 0 {
                state.jobs.pop_back();
                return Err(err);
            }
        }
        Ok(())
    }

    /// How many threads the pool runs now.
    #[cfg(test)]
    pub(crate) fn threads(&self) -> usize {
        self.lock().threads
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn work_loop(&self) {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.jobs.pop_front() {
                drop(state);
                job();
                state = self.lock();
                continue;
            }
            state.idle += 1;
            let (next, timeout) = self
                .work
                .wait_timeout(state, IDLE_TIMEOUT)
                .unwrap_or_else(|e| e.into_inner());
            state = next;
            state.idle -= 1;
            if timeout.timed_out() && state.jobs.is_empty() {
                state.threads -= 1;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::sync::{Arc, Barrier};

    #[test]
    fn a_burst_of_jobs_runs_on_a_bounded_number_of_threads() {
        static POOL: Pool = Pool::new(2);
        let gate = Arc::new(Barrier::new(3));
        let (tx, rx) = mpsc::channel();
        for i in 0..10 {
            let (gate, tx) = (gate.clone(), tx.clone());
            POOL.submit(Box::new(move || {
                // The first two jobs hold both threads until the test has looked.
                if i < 2 {
                    gate.wait();
                }
                tx.send(i).unwrap();
            }))
            .unwrap();
        }
        assert_eq!(POOL.threads(), 2, "ten jobs, two threads");
        gate.wait();
        let mut done: Vec<i32> = (0..10).map(|_| rx.recv().unwrap()).collect();
        done.sort_unstable();
        assert_eq!(done, (0..10).collect::<Vec<_>>());
    }
}
