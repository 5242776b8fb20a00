//! The engine under [`DeferredLock`](super::DeferredLock) and
//! [`DeferredSemaphore`](super::DeferredSemaphore): a count of tokens, the acquires waiting
//! for one in arrival order, and tokens handed on without recursion.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use super::{maybe_deferred, Deferred, IntoNext};
use crate::Failure;

type Shared = Rc<RefCell<State>>;

/// A pool of tokens shared by its clones.
#[derive(Clone)]
pub(super) struct Permits {
    state: Shared,
}

struct State {
    tokens: usize,
    limit: usize,
    /// Tokens held with no guard (after [`Permit::forget`]), for `release`.
    forgotten: usize,
    /// Acquires waiting for a token, oldest first. Never waiting while `tokens > 0`.
    waiting: VecDeque<Waiter>,
    next_id: u64,
    /// Acquires given a token and not yet called back (by the loop in `give_back`).
    granted: VecDeque<Deferred<Permit>>,
    handing_on: bool,
}

struct Waiter {
    id: u64,
    acquire: Deferred<Permit>,
}

/// One token, given back when dropped.
pub(super) struct Permit {
    /// `None` once forgotten.
    state: Option<Shared>,
}

impl Permits {
    /// A pool of `limit` tokens, all free.
    pub(super) fn new(limit: usize) -> Permits {
        Permits {
            state: Rc::new(RefCell::new(State {
                tokens: limit,
                limit,
                forgotten: 0,
                waiting: VecDeque::new(),
                next_id: 0,
                granted: VecDeque::new(),
                handing_on: false,
            })),
        }
    }

    /// A token now if one is free, else once those who asked before have had theirs.
    /// Cancelling a waiting acquire takes it out of the line.
    #[track_caller]
    pub(super) fn acquire(&self) -> Deferred<Permit> {
        let mut st = self.state.borrow_mut();
        if st.tokens > 0 {
            st.tokens -= 1;
            drop(st);
            return Deferred::succeed(Permit {
                state: Some(self.state.clone()),
            });
        }
        let id = st.next_id;
        st.next_id += 1;
        // Weak: the pool holds the waiting acquire, which holds this canceller.
        let pool = Rc::downgrade(&self.state);
        let acquire = Deferred::with_canceller(move |_| leave_line(&pool, id));
        st.waiting.push_back(Waiter {
            id,
            acquire: acquire.clone(),
        });
        acquire
    }

    /// Gives back a token held after [`Permit::forget`]; `false` if there is none.
    pub(super) fn release_forgotten(&self) -> bool {
        {
            let mut st = self.state.borrow_mut();
            if st.forgotten == 0 {
                return false;
            }
            st.forgotten -= 1;
        }
        give_back(&self.state);
        true
    }

    pub(super) fn tokens(&self) -> usize {
        self.state.borrow().tokens
    }

    pub(super) fn limit(&self) -> usize {
        self.state.borrow().limit
    }

    pub(super) fn waiters(&self) -> usize {
        self.state.borrow().waiting.len()
    }
}

/// A cancelled acquire's canceller: out of the line (Twisted's `_cancelAcquire`). One
/// already given a token is not in the line; its token comes back when the late callback
/// is refused and drops it.
fn leave_line(pool: &Weak<RefCell<State>>, id: u64) {
    if let Some(state) = pool.upgrade() {
        state.borrow_mut().waiting.retain(|w| w.id != id);
    }
}

/// Returns a token: to the oldest waiting acquire if there is one, else to the pool.
///
/// The acquires are called back by a loop, not by recursion, so a line of waiters that
/// each give their token back at once uses no stack per waiter.
fn give_back(state: &Shared) {
    let mut st = state.borrow_mut();
    match st.waiting.pop_front() {
        Some(next) => st.granted.push_back(next.acquire),
        None => st.tokens += 1,
    }
    if st.handing_on {
        // Called from a callback the loop below runs: it picks this one up.
        return;
    }
    st.handing_on = true;
    while let Some(acquire) = st.granted.pop_front() {
        drop(st);
        let permit = Permit {
            state: Some(state.clone()),
        };
        // Refused only if it was cancelled since it was granted: the refused permit is
        // dropped, which gives the token back (to the next in line).
        let _ = acquire.callback(permit);
        // Dropped before the borrow: if it was the last handle, the guard it holds goes
        // with it and comes back here.
        drop(acquire);
        st = state.borrow_mut();
    }
    st.handing_on = false;
}

impl Permit {
    /// Keeps the token taken with no guard: `release_forgotten` gives it back.
    pub(super) fn forget(mut self) {
        if let Some(state) = self.state.take() {
            state.borrow_mut().forgotten += 1;
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(state) = self.state.take() {
            give_back(&state);
        }
    }
}

/// Waits for `acquired`, runs `f` holding the guard, and drops the guard when what `f`
/// gave has its result, whatever it is (a panic in `f` is a failure).
#[track_caller]
pub(super) fn run_holding<G: 'static, R: IntoNext>(
    acquired: Deferred<G>,
    f: impl FnOnce() -> R + 'static,
) -> Deferred<R::Output> {
    acquired.add_callback(move |guard| {
        maybe_deferred(f).add_both(move |outcome: Result<R::Output, Failure>| {
            drop(guard);
            outcome
        })
    })
}
