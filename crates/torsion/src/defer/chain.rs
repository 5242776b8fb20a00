//! The untyped engine under [`Deferred`](super::Deferred): a result, a queue of links, and the
//! loop that runs them (chaining, pausing and cancelling included).
//!
//! Values travel as `Box<dyn Any>`; the typed handle checks the types at the edges, so a
//! link's downcast cannot fail.

use std::any::{Any, TypeId};
use std::backtrace::{Backtrace, BacktraceStatus};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::rc::{Rc, Weak};
use std::task::Waker;

use crate::error::{AlreadyCalledError, CancelledError};
use crate::Failure;

pub(crate) type Value = Box<dyn Any>;
pub(crate) type Outcome = Result<Value, Failure>;

/// What a link returned: a result, or another chain to wait for.
pub(crate) enum Step {
    Done(Outcome),
    Wait(Rc<Chain>),
}

type Call = Box<dyn FnOnce(Outcome) -> Step>;

enum Link {
    /// A user callback, errback or both, with where it was added.
    Call(Call, &'static Location<'static>),
    /// Hands this chain's result to an outer chain that waits for it.
    Continue(Rc<Chain>),
}

enum Slot {
    Empty,
    Ready(Outcome),
    /// Taken by whoever awaited it, or handed to the chain that waited for it.
    Spent,
}

/// Where a failure came from, for the unhandled-failure log.
struct FailSite {
    at: &'static Location<'static>,
    backtrace: Option<Backtrace>,
}

/// A user's canceller, called with the chain.
pub(crate) type CancelCall = Box<dyn FnOnce(&Rc<Chain>)>;

/// What `cancel` runs on a chain with no result yet.
pub(crate) enum Canceller {
    /// A user's canceller.
    Call(CancelCall),
    /// Drops the thread's task with this key (a spawned future's Deferred): no allocation.
    Task(crate::slab::Key),
}

struct State {
    slot: Slot,
    links: VecDeque<Link>,
    /// User pauses, plus one while waiting for an inner chain.
    paused: u32,
    running: bool,
    /// The inner chain this one waits for (to pass a cancel on).
    chained_to: Option<Weak<Chain>>,
    canceller: Option<Canceller>,
    /// Cancelled with no canceller: the next `callback`/`errback` is ignored once.
    suppress_already_called: bool,
    /// The type `callback` takes, and the type the last link produces.
    head: TypeId,
    tail: TypeId,
    /// Boxed: rare, and it keeps the chain small.
    failed_at: Option<Box<FailSite>>,
    waker: Option<Waker>,
}

/// One Deferred's state, shared by its handles.
pub(crate) struct Chain {
    state: RefCell<State>,
    created_at: &'static Location<'static>,
}

impl Chain {
    pub(crate) fn new(ty: TypeId, created_at: &'static Location<'static>) -> Rc<Chain> {
        Rc::new(Chain {
            state: RefCell::new(State {
                slot: Slot::Empty,
                links: VecDeque::new(),
                paused: 0,
                running: false,
                chained_to: None,
                canceller: None,
                suppress_already_called: false,
                head: ty,
                tail: ty,
                failed_at: None,
                waker: None,
            }),
            created_at,
        })
    }

    pub(crate) fn set_canceller(&self, canceller: Canceller) {
        self.state.borrow_mut().canceller = Some(canceller);
    }

    /// Panics unless `ty` is the type this chain's `callback` takes.
    pub(crate) fn check_head(&self, ty: TypeId, name: &str) {
        assert!(
            self.state.borrow().head == ty,
            "callback() on a Deferred<{name}> handle whose chain starts with another type: \
             fire the handle the chain was created with"
        );
    }

    /// Panics unless `ty` is the type the chain's last link produces.
    pub(crate) fn check_tail(&self, ty: TypeId, name: &str) {
        assert!(
            self.state.borrow().tail == ty,
            "a Deferred<{name}> handle was used after a callback changed its chain's type: \
             use the handle that callback returned"
        );
    }

    pub(crate) fn called(&self) -> bool {
        !matches!(self.state.borrow().slot, Slot::Empty)
    }

    pub(crate) fn paused(&self) -> bool {
        self.state.borrow().paused > 0
    }

    /// Gives the chain its result and runs the links.
    pub(crate) fn fire(
        self: &Rc<Self>,
        outcome: Outcome,
        at: &'static Location<'static>,
    ) -> Result<(), Failure> {
        {
            let mut st = self.state.borrow_mut();
            if !matches!(st.slot, Slot::Empty) {
                if std::mem::take(&mut st.suppress_already_called) {
                    return Ok(());
                }
                return Err(Failure::new(AlreadyCalledError));
            }
            if outcome.is_err() {
                st.failed_at = Some(Box::new(FailSite::here(at)));
            }
            st.slot = Slot::Ready(outcome);
        }
        run(self.clone());
        Ok(())
    }

    /// Appends a link producing `tail`; runs it at once if the result is there.
    pub(crate) fn push(self: &Rc<Self>, call: Call, at: &'static Location<'static>, tail: TypeId) {
        let ready = {
            let mut st = self.state.borrow_mut();
            st.links.push_back(Link::Call(call, at));
            st.tail = tail;
            !matches!(st.slot, Slot::Empty)
        };
        if ready {
            run(self.clone());
        }
    }

    pub(crate) fn pause(&self) {
        self.state.borrow_mut().paused += 1;
    }

    pub(crate) fn unpause(self: &Rc<Self>) {
        let resume = {
            let mut st = self.state.borrow_mut();
            st.paused = st.paused.saturating_sub(1);
            st.paused == 0 && !matches!(st.slot, Slot::Empty)
        };
        if resume {
            run(self.clone());
        }
    }

    /// Twisted's `cancel`: the canceller (or `CancelledError`) for a chain not yet called;
    /// a cancel passed on to the inner chain this one waits for; nothing otherwise.
    pub(crate) fn cancel(self: &Rc<Self>) {
        let canceller = {
            let mut st = self.state.borrow_mut();
            if !matches!(st.slot, Slot::Empty) {
                let inner = st.chained_to.as_ref().and_then(Weak::upgrade);
                drop(st);
                if let Some(inner) = inner {
                    inner.cancel();
                }
                return;
            }
            let canceller = st.canceller.take();
            st.suppress_already_called = canceller.is_none();
            canceller
        };
        if let Some(canceller) = canceller {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| match canceller {
                Canceller::Call(c) => c(self),
                Canceller::Task(k) => super::executor::current().cancel(k),
            })) {
                let failure = Failure::from_panic("Deferred canceller", payload);
                tracing::error!(target: "torsion::defer", %failure, "a canceller panicked");
            }
        }
        if !self.called() {
            let _ = self.fire(Err(Failure::new(CancelledError)), Location::caller());
        }
    }

    /// Takes the result if the chain is done with it (no link left to run, not paused),
    /// or keeps `waker` to be woken when it is.
    pub(crate) fn take_or_wait(&self, waker: Option<&Waker>) -> Option<Outcome> {
        let mut st = self.state.borrow_mut();
        let done = st.links.is_empty() && st.paused == 0 && !st.running;
        if done && matches!(st.slot, Slot::Ready(_)) {
            let Slot::Ready(outcome) = std::mem::replace(&mut st.slot, Slot::Spent) else {
                unreachable!("matched above")
            };
            st.failed_at = None;
            return Some(outcome);
        }
        if let Some(waker) = waker {
            match &st.waker {
                Some(kept) if kept.will_wake(waker) => {}
                _ => st.waker = Some(waker.clone()),
            }
        }
        None
    }

    /// Where the chain was created, for logs.
    pub(crate) fn created_at(&self) -> &'static Location<'static> {
        self.created_at
    }
}

impl FailSite {
    fn here(at: &'static Location<'static>) -> FailSite {
        let backtrace = if tracing::enabled!(target: "torsion::defer", tracing::Level::ERROR) {
            // Costs nothing unless RUST_BACKTRACE asks for backtraces.
            Some(Backtrace::capture()).filter(|b| b.status() == BacktraceStatus::Captured)
        } else {
            None
        };
        FailSite { at, backtrace }
    }
}

/// Runs `start`'s links, and those of every chain waiting on it, without recursion (a
/// chain of 100,000 returned Deferreds uses no stack per level).
fn run(start: Rc<Chain>) {
    let mut stack = Stack {
        top: Some(start),
        below: Vec::new(),
    };
    while let Some(current) = stack.top.clone() {
        {
            let mut st = current.state.borrow_mut();
            if st.running {
                // Called from inside one of this chain's links: the loop below, already
                // on the stack, picks up what was added.
                return;
            }
            if st.paused > 0 {
                return;
            }
            st.chained_to = None;
        }
        let mut finished = true;
        loop {
            let mut st = current.state.borrow_mut();
            let Some(link) = st.links.pop_front() else {
                break;
            };
            let Slot::Ready(outcome) = std::mem::replace(&mut st.slot, Slot::Spent) else {
                unreachable!("links run only on a result")
            };
            match link {
                Link::Continue(outer) => {
                    let failed_at = st.failed_at.take();
                    drop(st);
                    let mut outer_st = outer.state.borrow_mut();
                    outer_st.slot = Slot::Ready(outcome);
                    outer_st.failed_at = failed_at;
                    outer_st.paused -= 1;
                    drop(outer_st);
                    stack.push(outer);
                    finished = false;
                    break;
                }
                Link::Call(call, at) => {
                    st.running = true;
                    drop(st);
                    let step = match catch_unwind(AssertUnwindSafe(|| call(outcome))) {
                        Ok(step) => step,
                        Err(payload) => {
                            Step::Done(Err(Failure::from_panic("Deferred callback", payload)))
                        }
                    };
                    let mut st = current.state.borrow_mut();
                    st.running = false;
                    match step {
                        Step::Done(outcome) => {
                            set_result(&mut st, outcome, at);
                        }
                        Step::Wait(inner) => {
                            if Rc::ptr_eq(&inner, &current) {
                                let failure = Failure::new(crate::error::DeferredLoop);
                                set_result(&mut st, Err(failure), at);
                                continue;
                            }
                            let mut inner_st = inner.state.borrow_mut();
                            let inner_done = matches!(inner_st.slot, Slot::Ready(_))
                                && inner_st.paused == 0
                                && !inner_st.running
                                && inner_st.links.is_empty();
                            if inner_done {
                                let Slot::Ready(outcome) =
                                    std::mem::replace(&mut inner_st.slot, Slot::Spent)
                                else {
                                    unreachable!("checked above")
                                };
                                st.failed_at = inner_st.failed_at.take();
                                st.slot = Slot::Ready(outcome);
                            } else {
                                st.paused += 1;
                                st.slot = Slot::Ready(Ok(Box::new(())));
                                st.chained_to = Some(Rc::downgrade(&inner));
                                inner_st.links.push_back(Link::Continue(current.clone()));
                                let inner_ready = !matches!(inner_st.slot, Slot::Empty)
                                    && inner_st.paused == 0
                                    && !inner_st.running;
                                drop(inner_st);
                                drop(st);
                                if inner_ready {
                                    stack.push(inner);
                                }
                                finished = false;
                                break;
                            }
                        }
                    }
                }
            }
        }
        if finished {
            stack.pop();
            let waker = current.state.borrow_mut().waker.take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
    super::executor::run_woken_tasks();
}

fn set_result(st: &mut State, outcome: Outcome, at: &'static Location<'static>) {
    match &outcome {
        Ok(_) => st.failed_at = None,
        Err(_) => st.failed_at = Some(Box::new(FailSite::here(at))),
    }
    st.slot = Slot::Ready(outcome);
}

impl Drop for Chain {
    fn drop(&mut self) {
        let st = self.state.get_mut();
        if let Slot::Ready(Err(failure)) = &st.slot {
            let failed_at = st.failed_at.as_ref();
            let at = failed_at.map_or_else(|| "unknown".to_string(), |s| s.at.to_string());
            match failed_at.and_then(|s| s.backtrace.as_ref()) {
                Some(backtrace) => tracing::error!(
                    target: "torsion::defer",
                    %failure,
                    created_at = %self.created_at,
                    failed_at = %at,
                    %backtrace,
                    "Unhandled error in Deferred"
                ),
                None => tracing::error!(
                    target: "torsion::defer",
                    %failure,
                    created_at = %self.created_at,
                    failed_at = %at,
                    "Unhandled error in Deferred"
                ),
            }
        }
    }
}

/// The chains `run` works through: the one on top runs; below it, the chains waiting for
/// it. The common case, one chain, allocates nothing.
struct Stack {
    top: Option<Rc<Chain>>,
    below: Vec<Rc<Chain>>,
}

impl Stack {
    fn push(&mut self, chain: Rc<Chain>) {
        if let Some(top) = self.top.replace(chain) {
            self.below.push(top);
        }
    }

    fn pop(&mut self) {
        self.top = self.below.pop();
    }
}
