//! [`Scheduler`]: the timer queue shared by the reactor and the fake [`Clock`](super::Clock).

use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::delayed_call::{DelayedCall, PendingCall};
use crate::Failure;

/// Anything that can schedule calls in time: the [`Reactor`](crate::Reactor), the fake
/// [`Clock`](super::Clock), or a [`Scheduler`] taken from either (Twisted's `IReactorTime`).
///
/// Code that schedules should take `&impl ReactorTime` (or a [`Scheduler`]) so tests can
/// hand it a fake clock.
pub trait ReactorTime {
    /// The scheduler behind this clock.
    fn scheduler(&self) -> Scheduler;

    /// The current time in seconds, as this clock counts it (wall-clock seconds since the
    /// Unix epoch for the reactor, seconds since zero for the fake clock).
    fn seconds(&self) -> f64 {
        self.scheduler().seconds()
    }

    /// Calls `f` once, `delay` from now, from the loop (never from inside this call).
    ///
    /// Returns a handle to cancel, reset or delay the call. Calls due at the same time run
    /// in the order they were scheduled. A panic in `f` is caught and logged.
    fn call_later<F: FnOnce() + 'static>(&self, delay: Duration, f: F) -> DelayedCall {
        self.scheduler().call_later(delay, f)
    }
}

/// A handle to one timer queue and the clock that drives it.
///
/// Cheap to clone; all clones share the queue. The reactor's scheduler reads real
/// (monotonic) time; a [`Clock`](super::Clock)'s reads time that moves only when the test
/// advances it. Both run the same queue code.
#[derive(Clone)]
pub struct Scheduler {
    pub(crate) core: Rc<TimeCore>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("seconds", &self.seconds())
            .finish()
    }
}

impl ReactorTime for Scheduler {
    fn scheduler(&self) -> Scheduler {
        self.clone()
    }

    fn seconds(&self) -> f64 {
        self.core.seconds()
    }

    fn call_later<F: FnOnce() + 'static>(&self, delay: Duration, f: F) -> DelayedCall {
        TimeCore::call_later(&self.core, delay, Box::new(f))
    }
}

impl Scheduler {
    pub(crate) fn real() -> Scheduler {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Scheduler {
            core: Rc::new(TimeCore::new(Source::Real {
                start: Instant::now(),
                wall_at_start: wall,
            })),
        }
    }

    pub(crate) fn fake() -> Scheduler {
        Scheduler {
            core: Rc::new(TimeCore::new(Source::Fake(Cell::new(0)))),
        }
    }
}

enum Source {
    Real {
        start: Instant,
        wall_at_start: Duration,
    },
    Fake(Cell<u64>),
}

/// Time in nanoseconds since the clock's zero.
pub(crate) type Nanos = u64;

pub(crate) fn to_nanos(d: Duration) -> Nanos {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

struct Entry {
    when: Nanos,
    seq: u64,
    call: Rc<PendingCall>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.when, self.seq) == (other.when, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed: the earliest (deadline, sequence) is the heap's top.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.when, other.seq).cmp(&(self.when, self.seq))
    }
}

#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Entry>,
    next_seq: u64,
    /// Heap entries whose call was cancelled or rescheduled: dropped lazily.
    stale: usize,
}

pub(crate) struct TimeCore {
    source: Source,
    queue: RefCell<Queue>,
}

impl TimeCore {
    fn new(source: Source) -> TimeCore {
        TimeCore {
            source,
            queue: RefCell::new(Queue::default()),
        }
    }

    pub(crate) fn now(&self) -> Nanos {
        match &self.source {
            Source::Real { start, .. } => to_nanos(start.elapsed()),
            Source::Fake(now) => now.get(),
        }
    }

    pub(crate) fn seconds(&self) -> f64 {
        self.nanos_to_seconds(self.now())
    }

    pub(crate) fn nanos_to_seconds(&self, t: Nanos) -> f64 {
        let base = match &self.source {
            Source::Real { wall_at_start, .. } => wall_at_start.as_secs_f64(),
            Source::Fake(_) => 0.0,
        };
        base + t as f64 / 1e9
    }

    pub(crate) fn advance(&self, by: Duration) {
        if let Source::Fake(now) = &self.source {
            now.set(now.get().saturating_add(to_nanos(by)));
        }
    }

    pub(crate) fn call_later(
        core: &Rc<TimeCore>,
        delay: Duration,
        f: Box<dyn FnOnce()>,
    ) -> DelayedCall {
        let when = core.now().saturating_add(to_nanos(delay));
        let call = Rc::new(PendingCall::new(when, f));
        core.push(&call);
        DelayedCall::new(Rc::downgrade(core), call)
    }

    /// Puts `call` in the heap at its current deadline with a fresh sequence number; an
    /// older heap entry for the same call becomes stale.
    pub(crate) fn push(&self, call: &Rc<PendingCall>) {
        let mut q = self.queue.borrow_mut();
        let seq = q.next_seq;
        q.next_seq += 1;
        if call.seq.replace(Some(seq)).is_some() {
            q.stale += 1;
        }
        q.heap.push(Entry {
            when: call.when.get(),
            seq,
            call: call.clone(),
        });
    }

    pub(crate) fn forget(&self) {
        let mut q = self.queue.borrow_mut();
        q.stale += 1;
        if q.stale > 64 && q.stale > q.heap.len() / 2 {
            q.heap.retain(|e| e.call.is_live(e.seq));
            q.stale = 0;
        }
    }

    /// The deadline of the earliest pending call, dropping stale entries on the way.
    pub(crate) fn next_deadline(&self) -> Option<Nanos> {
        let mut q = self.queue.borrow_mut();
        while let Some(top) = q.heap.peek() {
            if top.call.is_live(top.seq) {
                return Some(top.when);
            }
            q.heap.pop();
            q.stale = q.stale.saturating_sub(1);
        }
        None
    }

    /// Runs every call due by now. With `only_existing`, calls scheduled while this runs
    /// wait for the next pass (the reactor's rule: a `call_later(0)` inside a timer does
    /// not starve I/O); without it, they run too if due (the fake clock's rule).
    pub(crate) fn run_due(&self, only_existing: bool) -> usize {
        if self.queue.borrow().heap.is_empty() {
            return 0;
        }
        let now = self.now();
        let cutoff = self.queue.borrow().next_seq;
        let mut ran = 0;
        loop {
            let call = {
                let mut q = self.queue.borrow_mut();
                match q.heap.peek() {
                    Some(top) if !top.call.is_live(top.seq) => {
                        q.heap.pop();
                        q.stale = q.stale.saturating_sub(1);
                        continue;
                    }
                    Some(top) if top.when <= now && (!only_existing || top.seq < cutoff) => {
                        q.heap.pop().map(|e| e.call)
                    }
                    _ => None,
                }
            };
            let Some(call) = call else { break };
            let Some(f) = call.fire() else { continue };
            ran += 1;
            if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
                let failure = Failure::from_panic("call_later", payload);
                tracing::error!(%failure, "a timed call panicked; the reactor goes on");
            }
        }
        ran
    }

    /// Every pending call, in no particular order.
    pub(crate) fn pending(core: &Rc<TimeCore>) -> Vec<DelayedCall> {
        let q = core.queue.borrow();
        q.heap
            .iter()
            .filter(|e| e.call.is_live(e.seq))
            .map(|e| DelayedCall::new(Rc::downgrade(core), e.call.clone()))
            .collect()
    }
}

pub(crate) type WeakCore = Weak<TimeCore>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_seconds_are_wall_clock() {
        let s = Scheduler::real();
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!((s.seconds() - wall).abs() < 5.0);
    }

    #[test]
    fn stale_entries_are_compacted() {
        let s = Scheduler::fake();
        let calls: Vec<_> = (0..1000)
            .map(|_| s.call_later(Duration::from_secs(1), || {}))
            .collect();
        for c in &calls {
            c.cancel().unwrap();
        }
        assert!(s.core.queue.borrow().heap.len() < 200);
        assert_eq!(s.core.next_deadline(), None);
    }
}
