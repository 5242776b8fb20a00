//! [`Scheduler`]: the timer queue shared by the reactor and the fake [`Clock`](super::Clock).

use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::delayed_call::{CallState, DelayedCall, PendingCall};
use crate::Failure;

/// Anything that can schedule calls in time: the [`Reactor`](crate::Reactor), the fake
/// [`Clock`](super::Clock), or a [`Scheduler`] taken from either (Twisted's `IReactorTime`).
///
/// Code that schedules should take `&impl ReactorTime` (or a [`Scheduler`]) so tests can
/// hand it a fake clock.
///
/// # Examples
///
/// A reminder that works on the reactor and, in a test, on a [`Clock`](super::Clock)
/// moved by hand:
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use torsion::testing::Clock;
/// use torsion::ReactorTime;
///
/// fn remind(time: &impl ReactorTime, done: Rc<Cell<bool>>) {
///     time.call_later(Duration::from_secs(30), move || done.set(true));
/// }
///
/// let clock = Clock::new();
/// let done = Rc::new(Cell::new(false));
/// remind(&clock, done.clone());
/// clock.advance(Duration::from_secs(29));
/// assert!(!done.get());
/// clock.advance(Duration::from_secs(1));
/// assert!(done.get());
/// assert!(clock.get_delayed_calls().is_empty());
/// ```
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

    /// Every call still pending, in no particular order (Twisted's `getDelayedCalls`).
    fn get_delayed_calls(&self) -> Vec<DelayedCall> {
        TimeCore::pending(&self.scheduler().core)
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
        TimeCore::call_later(&self.core, delay, f)
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

/// How far ahead of now the near heap reaches.
const NEAR_SPAN: Nanos = 60_000_000_000;

/// The pending calls, in two heaps split at `boundary`: `near` holds every call due before
/// it, `far` every call due at or after it, so the earliest call is on top of `near`, or
/// of `far` when `near` is empty. A new call due soon joins the small near heap even when a
/// million calls wait far ahead, and does not climb a million-entry heap. The boundary
/// moves up with time, to [`NEAR_SPAN`] from now, but never past the earliest far call, so
/// no call ever has to move between the heaps. Cancelled and rescheduled calls leave stale
/// entries, dropped lazily.
struct Queue {
    near: BinaryHeap<Entry>,
    far: BinaryHeap<Entry>,
    boundary: Nanos,
    next_seq: u64,
    /// Entries (in either heap) whose call was cancelled or rescheduled.
    stale: usize,
}

impl Default for Queue {
    fn default() -> Queue {
        Queue {
            near: BinaryHeap::new(),
            far: BinaryHeap::new(),
            boundary: NEAR_SPAN,
            next_seq: 0,
            stale: 0,
        }
    }
}

impl Queue {
    fn push(&mut self, entry: Entry) {
        if entry.when < self.boundary {
            self.near.push(entry);
        } else {
            self.far.push(entry);
        }
    }

    fn len(&self) -> usize {
        self.near.len() + self.far.len()
    }

    /// Drops the stale entries on top of both heaps.
    fn drop_stale_tops(&mut self) {
        for heap in [&mut self.near, &mut self.far] {
            while heap.peek().is_some_and(|top| !top.call.is_live(top.seq)) {
                heap.pop();
                self.stale = self.stale.saturating_sub(1);
            }
        }
    }

    /// Moves the boundary up to [`NEAR_SPAN`] past `now`, but not past the earliest far call.
    fn advance_boundary(&mut self, now: Nanos) {
        self.drop_stale_tops();
        let far_first = self.far.peek().map_or(Nanos::MAX, |e| e.when);
        let wanted = now.saturating_add(NEAR_SPAN).min(far_first);
        self.boundary = self.boundary.max(wanted);
    }

    /// The heap whose top is the earliest live call (after dropping stale tops).
    fn first_heap(&mut self) -> &mut BinaryHeap<Entry> {
        self.drop_stale_tops();
        if self.near.is_empty() {
            &mut self.far
        } else {
            &mut self.near
        }
    }

    fn compact(&mut self) {
        self.near.retain(|e| e.call.is_live(e.seq));
        self.far.retain(|e| e.call.is_live(e.seq));
        self.stale = 0;
    }
}

pub(crate) struct TimeCore {
    source: Source,
    queue: RefCell<Queue>,
    /// The calls pending when the reactor stopped, in deadline order, owned only by their
    /// handles until the reactor runs again (see [`TimeCore::park`]).
    parked: RefCell<Vec<Weak<PendingCall>>>,
}

impl TimeCore {
    fn new(source: Source) -> TimeCore {
        TimeCore {
            source,
            queue: RefCell::new(Queue::default()),
            parked: RefCell::new(Vec::new()),
        }
    }

    /// Hands every pending call to its [`DelayedCall`] handles: the queue keeps only weak
    /// references, so a call whose handles are all gone is dropped, with what it captured.
    /// The reactor does this when it stops: a pending call that holds a handle to the
    /// reactor would otherwise keep the reactor, and its descriptors, alive for ever.
    pub(crate) fn park(&self) {
        let mut entries: Vec<Entry> = {
            let mut q = self.queue.borrow_mut();
            q.stale = 0;
            let Queue { near, far, .. } = &mut *q;
            near.drain().chain(far.drain()).collect()
        };
        entries.retain(|e| e.call.is_live(e.seq));
        entries.sort_by_key(|e| (e.when, e.seq));
        self.parked
            .borrow_mut()
            .extend(entries.iter().map(|e| Rc::downgrade(&e.call)));
        // The calls nobody holds are dropped here, outside every borrow: what they
        // captured may schedule or cancel as it drops.
        drop(entries);
    }

    /// Puts the parked calls that are still pending back in the queue, in their order.
    pub(crate) fn unpark(&self) {
        let parked = std::mem::take(&mut *self.parked.borrow_mut());
        for call in parked.iter().filter_map(Weak::upgrade) {
            if call.state.get() == CallState::Pending {
                self.push(&call);
            }
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

    pub(crate) fn call_later<F: FnOnce() + 'static>(
        core: &Rc<TimeCore>,
        delay: Duration,
        f: F,
    ) -> DelayedCall {
        let when = core.now().saturating_add(to_nanos(delay));
        let call = PendingCall::new(when, f);
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
        q.push(Entry {
            when: call.when.get(),
            seq,
            call: call.clone(),
        });
    }

    pub(crate) fn forget(&self) {
        let mut q = self.queue.borrow_mut();
        q.stale += 1;
        if q.stale > 64 && q.stale > q.len() / 2 {
            q.compact();
        }
    }

    /// The deadline of the earliest pending call, dropping stale entries on the way.
    pub(crate) fn next_deadline(&self) -> Option<Nanos> {
        self.queue.borrow_mut().first_heap().peek().map(|e| e.when)
    }

    /// Runs every call due by now. With `only_existing`, calls scheduled while this runs
    /// wait for the next pass (the reactor's rule: a `call_later(0)` inside a timer does
    /// not starve I/O); without it, they run too if due (the fake clock's rule).
    pub(crate) fn run_due(&self, only_existing: bool) -> usize {
        if self.queue.borrow().len() == 0 {
            return 0;
        }
        let now = self.now();
        let cutoff = {
            let mut q = self.queue.borrow_mut();
            q.advance_boundary(now);
            q.next_seq
        };
        let mut ran = 0;
        loop {
            let call = {
                let mut q = self.queue.borrow_mut();
                let heap = q.first_heap();
                match heap.peek() {
                    Some(top) if top.when <= now && (!only_existing || top.seq < cutoff) => {
                        heap.pop().map(|e| e.call)
                    }
                    _ => None,
                }
            };
            let Some(call) = call else { break };
            ran += 1;
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| call.fire())) {
                let failure = Failure::from_panic("call_later", payload);
                tracing::error!(%failure, "a timed call panicked; the reactor goes on");
            }
        }
        ran
    }

    /// Every pending call, in no particular order.
    pub(crate) fn pending(core: &Rc<TimeCore>) -> Vec<DelayedCall> {
        let q = core.queue.borrow();
        let parked = core.parked.borrow();
        q.near
            .iter()
            .chain(q.far.iter())
            .filter(|e| e.call.is_live(e.seq))
            .map(|e| e.call.clone())
            .chain(
                parked
                    .iter()
                    .filter_map(Weak::upgrade)
                    .filter(|c| c.state.get() == CallState::Pending),
            )
            .map(|call| DelayedCall::new(Rc::downgrade(core), call))
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
        assert!(s.core.queue.borrow().len() < 200);
        assert_eq!(s.core.next_deadline(), None);
    }

    #[test]
    fn near_and_far_calls_run_in_deadline_order() {
        let s = Scheduler::fake();
        let order = Rc::new(RefCell::new(Vec::new()));
        let at = |secs: u64, name: &'static str| {
            let order = order.clone();
            s.call_later(Duration::from_secs(secs), move || {
                order.borrow_mut().push(name)
            })
        };
        at(3600, "hour");
        at(86_400, "day");
        at(1, "second");
        let cancelled = at(7200, "cancelled");
        at(3600, "hour, second");
        cancelled.cancel().unwrap();
        assert!(!s.core.queue.borrow().far.is_empty());
        assert_eq!(s.core.next_deadline(), Some(1_000_000_000));
        s.core.advance(Duration::from_secs(2));
        s.core.run_due(false);
        assert_eq!(s.core.next_deadline(), Some(3_600_000_000_000));
        at(60, "minute");
        s.core.advance(Duration::from_secs(86_400));
        s.core.run_due(false);
        assert_eq!(
            *order.borrow(),
            ["second", "minute", "hour", "hour, second", "day"]
        );
        assert_eq!(s.core.next_deadline(), None);
    }
}
