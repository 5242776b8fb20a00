//! The thread's task queue: futures run by the reactor's loop, with no second runtime.
//!
//! One executor per thread, shared by every reactor on it. A task is polled when it is
//! spawned ([`spawn_now`]) or from the loop ([`spawn_queued`]), and again after its waker is
//! used: woken tasks run when a Deferred's callbacks have finished, when a fake clock
//! advances, and on each pass of a reactor's loop. A waker used from another thread queues
//! its task through the reactor's `call_from_thread` path.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::rc::Weak;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};

use super::chain::Chain;
use crate::slab::{Key, Slab};

/// Polls a thread runs in one go before it lets the loop do its I/O again.
const POLL_BUDGET: usize = 4096;
/// Wakers of ended tasks kept for new tasks (each takes 40 bytes).
const SPARE_WAKERS: usize = 1024;

type BoxedTask = Pin<Box<dyn Future<Output = ()>>>;

struct Task {
    /// `None` while it is being polled.
    future: Option<BoxedTask>,
    /// Made into a `Waker` for each poll; reused by a later task once the task ends, if
    /// nobody kept a clone.
    waker: Arc<TaskWaker>,
    queued: bool,
    cancelled: bool,
    /// The Deferred the task's last poll waited on, for a cancel to pass on.
    awaiting: Option<Weak<Chain>>,
}

/// Wakes from other threads, waiting for the owner's loop.
struct RemoteWakes {
    pending: AtomicBool,
    keys: Mutex<Vec<Key>>,
    /// Wakes the loop of the newest reactor on the owner's thread.
    notify: Mutex<Option<Notify>>,
}

impl RemoteWakes {
    fn push(&self, key: Key) {
        self.keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(key);
        if !self.pending.swap(true, Ordering::AcqRel) {
            let notify = self.notify.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(notify) = notify.as_ref() {
                notify();
            }
        }
    }

    fn take(&self) -> Vec<Key> {
        // A plain load first: the loop asks on every pass, and there is rarely anything.
        if !self.pending.load(Ordering::Relaxed) || !self.pending.swap(false, Ordering::AcqRel) {
            return Vec::new();
        }
        std::mem::take(&mut *self.keys.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Wakes a thread's loop from another thread.
pub(crate) type Notify = Box<dyn Fn() + Send + Sync>;

struct TaskWaker {
    executor: u64,
    key: Key,
    remote: Arc<RemoteWakes>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if EXECUTOR_ID.with(Cell::get) == self.executor {
            EXECUTOR.with(|e| e.schedule(self.key));
        } else {
            self.remote.push(self.key);
        }
    }
}

/// A thread's tasks.
pub(crate) struct Executor {
    id: u64,
    tasks: RefCell<Slab<Task>>,
    ready: RefCell<VecDeque<Key>>,
    /// Wakers of ended tasks that nobody else holds, to save an allocation per task.
    spare_wakers: RefCell<Vec<Arc<TaskWaker>>>,
    /// A task is being polled (or the queue is being run): wakes only queue.
    polling: Cell<bool>,
    /// The Deferred the task being polled waits on, noted by its `.await`.
    awaiting_now: RefCell<Option<Weak<Chain>>>,
    /// Tasks that yielded to the loop: woken at the start of the next pass.
    next_pass: RefCell<Vec<Waker>>,
    remote: Arc<RemoteWakes>,
}

thread_local! {
    static EXECUTOR_ID: Cell<u64> = const { Cell::new(0) };
    static EXECUTOR: Rc<Executor> = Rc::new(Executor::new());
}

/// The executor of the calling thread.
pub(crate) fn current() -> Rc<Executor> {
    EXECUTOR.with(Rc::clone)
}

/// Runs the tasks woken so far on this thread, unless a task is being polled (then the
/// run under way picks them up).
pub(crate) fn run_woken_tasks() {
    EXECUTOR.with(|e| e.run_ready());
}

/// Notes that the task being polled waits on `chain` (its `.await` is pending), so that
/// cancelling the task cancels it.
pub(crate) fn note_awaiting(chain: Weak<Chain>) {
    EXECUTOR.with(|e| *e.awaiting_now.borrow_mut() = Some(chain));
}

/// Starts a pass (as a reactor's loop or a fake clock's advance does), then runs the
/// woken tasks.
pub(crate) fn run_pass() {
    EXECUTOR.with(|e| {
        e.start_pass();
        e.run_ready();
    });
}

/// Restores `polling` when a poll ends, by return or unwinding.
struct PollingGuard<'a> {
    flag: &'a Cell<bool>,
    before: bool,
}

impl Drop for PollingGuard<'_> {
    fn drop(&mut self) {
        self.flag.set(self.before);
    }
}

/// Restores what the outer task awaits when a nested poll ends.
struct AwaitingGuard<'a> {
    cell: &'a RefCell<Option<Weak<Chain>>>,
    before: Option<Weak<Chain>>,
}

impl Drop for AwaitingGuard<'_> {
    fn drop(&mut self) {
        *self.cell.borrow_mut() = self.before.take();
    }
}

impl Executor {
    fn new() -> Executor {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        EXECUTOR_ID.with(|cell| cell.set(id));
        Executor {
            id,
            tasks: RefCell::default(),
            ready: RefCell::default(),
            spare_wakers: RefCell::default(),
            polling: Cell::new(false),
            awaiting_now: RefCell::new(None),
            next_pass: RefCell::default(),
            remote: Arc::new(RemoteWakes {
                pending: AtomicBool::new(false),
                keys: Mutex::new(Vec::new()),
                notify: Mutex::new(None),
            }),
        }
    }

    /// How a wake from another thread reaches this thread's loop (the newest reactor
    /// on the thread sets it to its `call_from_thread` path).
    pub(crate) fn set_notify(&self, notify: Notify) {
        *self.remote.notify.lock().unwrap_or_else(|e| e.into_inner()) = Some(notify);
    }

    /// Whether a task waits to be polled.
    pub(crate) fn has_work(&self) -> bool {
        !self.ready.borrow().is_empty()
            || !self.next_pass.borrow().is_empty()
            || self.remote.pending.load(Ordering::Relaxed)
    }

    /// Wakes `waker` on the loop's next pass (after the I/O of this one), not in this
    /// run of the queue: how a task yields to the loop.
    pub(crate) fn wake_next_pass(&self, waker: &Waker) {
        self.next_pass.borrow_mut().push(waker.clone());
    }

    /// A new pass of the loop: the tasks that yielded to it are woken.
    pub(crate) fn start_pass(&self) {
        let wakers = std::mem::take(&mut *self.next_pass.borrow_mut());
        for waker in wakers {
            waker.wake();
        }
    }

    /// The key the next spawned task gets.
    pub(crate) fn next_key(&self) -> Key {
        self.tasks.borrow().next_key()
    }

    fn insert(&self, future: BoxedTask, queued: bool) -> Key {
        let mut tasks = self.tasks.borrow_mut();
        let key = tasks.next_key();
        let waker = match self.spare_wakers.borrow_mut().pop() {
            Some(mut waker) => {
                Arc::get_mut(&mut waker)
                    .expect("a spare waker has no other holder")
                    .key = key;
                waker
            }
            None => Arc::new(TaskWaker {
                executor: self.id,
                key,
                remote: self.remote.clone(),
            }),
        };
        let inserted = tasks.insert(Task {
            future: Some(future),
            waker,
            queued,
            cancelled: false,
            awaiting: None,
        });
        debug_assert_eq!(inserted, key);
        key
    }

    /// Adds a task polled from the queue, soon.
    pub(crate) fn spawn_queued(&self, future: BoxedTask) -> Key {
        let key = self.insert(future, true);
        self.ready.borrow_mut().push_back(key);
        key
    }

    /// Adds a task and polls it at once.
    pub(crate) fn spawn_now(&self, future: BoxedTask) -> Key {
        let key = self.insert(future, false);
        self.poll_task(key);
        self.run_ready();
        key
    }

    /// Drops a task's future (Rust's way to cancel it); a task being polled is dropped
    /// when its poll returns.
    ///
    /// A task waiting on a Deferred has that Deferred cancelled instead (Twisted's
    /// `ensureDeferred`): the future sees the failure at its `.await` and may handle it.
    pub(crate) fn cancel(&self, key: Key) {
        let awaited = self
            .tasks
            .borrow()
            .get(key)
            .and_then(|task| task.awaiting.as_ref()?.upgrade());
        if let Some(chain) = awaited {
            chain.cancel();
            return;
        }
        let removed = {
            let mut tasks = self.tasks.borrow_mut();
            match tasks.get_mut(key) {
                Some(task) if task.future.is_none() => {
                    task.cancelled = true;
                    None
                }
                Some(_) => tasks.remove(key),
                None => None,
            }
        };
        if let Some(Task { future, waker, .. }) = removed {
            // Dropping the future may run user code: no borrow is held.
            drop(future);
            self.keep_waker(waker);
        }
    }

    fn schedule(&self, key: Key) {
        let newly = match self.tasks.borrow_mut().get_mut(key) {
            Some(task) => !std::mem::replace(&mut task.queued, true),
            None => false,
        };
        if newly {
            self.ready.borrow_mut().push_back(key);
        }
    }

    fn poll_task(&self, key: Key) {
        let taken = {
            let mut tasks = self.tasks.borrow_mut();
            match tasks.get_mut(key) {
                Some(task) => {
                    task.queued = false;
                    let waker = &task.waker;
                    task.future
                        .take()
                        .map(|f| (f, Waker::from(Arc::clone(waker))))
                }
                None => None,
            }
        };
        let Some((mut future, waker)) = taken else {
            return;
        };
        let (done, awaiting) = {
            let _guard = PollingGuard {
                flag: &self.polling,
                before: self.polling.replace(true),
            };
            let _awaiting = AwaitingGuard {
                cell: &self.awaiting_now,
                before: self.awaiting_now.take(),
            };
            let done = future
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_ready();
            (done, self.awaiting_now.take())
        };
        drop(waker);
        let mut tasks = self.tasks.borrow_mut();
        let task = tasks.get_mut(key).expect("a task stays while polled");
        if !(done || task.cancelled) {
            task.future = Some(future);
            task.awaiting = awaiting;
            return;
        }
        let removed = tasks.remove(key);
        drop(tasks);
        // What the future holds may run user code when dropped: no borrow is held.
        drop(future);
        if let Some(task) = removed {
            self.keep_waker(task.waker);
        }
    }

    /// Keeps an ended task's waker for a later task, unless someone still holds a clone
    /// (a wake from it must not reach another task) or enough are kept already.
    fn keep_waker(&self, mut waker: Arc<TaskWaker>) {
        if Arc::get_mut(&mut waker).is_none() {
            return;
        }
        let mut spare = self.spare_wakers.borrow_mut();
        if spare.len() < SPARE_WAKERS {
            spare.push(waker);
        }
    }

    /// Polls woken tasks until none is left or the budget is spent (the loop then comes
    /// back without blocking).
    pub(crate) fn run_ready(&self) {
        if self.polling.get() {
            return;
        }
        for key in self.remote.take() {
            self.schedule(key);
        }
        for _ in 0..POLL_BUDGET {
            let Some(key) = self.ready.borrow_mut().pop_front() else {
                return;
            };
            self.poll_task(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};
    use std::future::poll_fn;
    use std::rc::Rc;
    use std::task::{Poll, Waker};

    use super::{current, run_woken_tasks};
    use crate::defer::ensure_deferred;
    use crate::error::CancelledError;
    use crate::Failure;

    #[test]
    fn an_ended_tasks_waker_serves_the_next_task() {
        ensure_deferred(async { Ok(()) })
            .take_result()
            .unwrap()
            .unwrap();
        assert!(!current().spare_wakers.borrow().is_empty());

        let kept: Rc<RefCell<Option<Waker>>> = Rc::default();
        let k = kept.clone();
        let mut first_poll = true;
        let task = ensure_deferred(poll_fn(move |cx| {
            if std::mem::take(&mut first_poll) {
                *k.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            } else {
                Poll::Ready(Ok::<_, Failure>(7))
            }
        }));
        assert!(!task.called());
        kept.take().unwrap().wake();
        run_woken_tasks();
        assert_eq!(task.take_result().unwrap().unwrap(), 7);
    }

    #[test]
    fn a_waker_kept_past_its_task_never_wakes_a_later_task() {
        let kept: Rc<RefCell<Option<Waker>>> = Rc::default();
        let k = kept.clone();
        ensure_deferred(poll_fn(move |cx| {
            *k.borrow_mut() = Some(cx.waker().clone());
            Poll::Ready(Ok::<_, Failure>(()))
        }))
        .take_result()
        .unwrap()
        .unwrap();

        let polls = Rc::new(Cell::new(0));
        let p = polls.clone();
        let later: crate::defer::Deferred<()> = ensure_deferred(poll_fn(move |_| {
            p.set(p.get() + 1);
            Poll::Pending
        }));
        assert_eq!(polls.get(), 1);
        kept.take().unwrap().wake();
        run_woken_tasks();
        assert_eq!(
            polls.get(),
            1,
            "the ended task's waker reached another task"
        );
        later.cancel();
        assert!(later
            .take_result()
            .unwrap()
            .unwrap_err()
            .check::<CancelledError>());
    }
}
