//! [`Throttling`]: caps the bytes read and written per second over all of a factory's
//! connections, and their number (Twisted's `policies.ThrottlingFactory`).

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;

use super::factory::WrappingFactory;
use super::policy::{Link, Policy, PolicyFactory};
use crate::{Address, DelayedCall, Failure, LoopingCall, ReactorTime, Scheduler, Transport};

/// Limits a factory's connections together, in windows of one second.
///
/// Once a second, if more than the read limit was received in the second just past, every
/// connection stops being read (`pause_producing` on its transport) for as long as the
/// excess would take at the limit (twice the limit read: paused for one second), then
/// resumes. Writes work the same way: while writes are throttled, what the hosted
/// protocols write is held back (and a `lose_connection` waits behind it), then sent when
/// the pause ends. A connection beyond the [`max_connections`](Throttling::max_connections)
/// is refused.
///
/// The checks run between the factory's `do_start` and `do_stop` (when the port starts and
/// stops listening).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use torsion::protocols::policies::{Throttling, ThrottlingFactory};
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
/// use torsion::{Address, Factory, Protocol};
///
/// struct Sink;
/// impl Protocol for Sink {}
///
/// let clock = Clock::new();
/// let mut factory = ThrottlingFactory::new(|_| Some(Sink), Throttling::new(&clock).read_limit(10));
/// factory.do_start();
/// let st = StringTransport::new();
/// let h = ProtocolHarness::connect(factory.build_protocol(Address::Pipe).unwrap(), &st, &clock)?;
/// h.data_received(&[0; 20])?;
/// clock.advance(Duration::from_secs(1));
/// assert_eq!(st.producer_state(), "paused", "twice the limit: paused for a second");
/// clock.advance(Duration::from_secs(1));
/// assert_eq!(st.producer_state(), "producing");
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug)]
pub struct Throttling {
    state: Rc<State>,
    max_connections: Option<usize>,
    ticker: LoopingCall,
}

/// A factory whose connections share read and write rate limits.
pub type ThrottlingFactory<F> = WrappingFactory<F, Throttling>;

/// What the factory and its connections share.
#[derive(Debug)]
struct State {
    scheduler: Scheduler,
    reads: Direction,
    writes: Direction,
    members: RefCell<Vec<Weak<Member>>>,
}

/// One direction's limit and accounting.
#[derive(Debug, Default)]
struct Direction {
    limit: Cell<Option<u64>>,
    this_second: Cell<u64>,
    paused: Cell<bool>,
    resume: RefCell<Option<DelayedCall>>,
}

/// One connection, as the factory throttles it.
#[derive(Debug)]
struct Member {
    below: Transport,
    held: RefCell<Vec<u8>>,
    close_pending: Cell<bool>,
}

/// The throttling policy of one connection.
#[derive(Debug)]
pub struct Throttled {
    state: Rc<State>,
    member: Option<Rc<Member>>,
}

impl Throttling {
    /// No limits yet, checked on `clock`.
    pub fn new(clock: &impl ReactorTime) -> Throttling {
        let state = Rc::new(State {
            scheduler: clock.scheduler(),
            reads: Direction::default(),
            writes: Direction::default(),
            members: RefCell::default(),
        });
        let weak = Rc::downgrade(&state);
        let ticker = LoopingCall::new(clock, move || {
            if let Some(state) = weak.upgrade() {
                state.check();
            }
        });
        Throttling {
            state,
            max_connections: None,
            ticker,
        }
    }

    /// At most `bytes` received per second, over all connections.
    pub fn read_limit(self, bytes: u64) -> Throttling {
        self.state.reads.limit.set(Some(bytes.max(1)));
        self
    }

    /// At most `bytes` written per second, over all connections.
    pub fn write_limit(self, bytes: u64) -> Throttling {
        self.state.writes.limit.set(Some(bytes.max(1)));
        self
    }

    /// At most `count` connections open at once; more are refused.
    pub fn max_connections(mut self, count: usize) -> Throttling {
        self.max_connections = Some(count);
        self
    }

    /// Whether reading is paused now.
    pub fn reads_throttled(&self) -> bool {
        self.state.reads.paused.get()
    }

    /// Whether writes are held back now.
    pub fn writes_throttled(&self) -> bool {
        self.state.writes.paused.get()
    }
}

impl PolicyFactory for Throttling {
    type Policy = Throttled;

    fn build_policy(&mut self, _addr: &Address, live: usize) -> Option<Throttled> {
        if self.max_connections.is_some_and(|max| live >= max) {
            tracing::info!(
                live,
                "throttling: connection refused, the maximum is reached"
            );
            return None;
        }
        Some(Throttled {
            state: self.state.clone(),
            member: None,
        })
    }

    fn do_start(&mut self) {
        self.ticker.start(Duration::from_secs(1), false);
    }

    fn do_stop(&mut self) {
        self.ticker.stop();
        self.state.resume_reads();
        self.state.resume_writes();
    }
}

impl State {
    /// The end of a one-second window.
    fn check(self: &Rc<Self>) {
        if let Some(delay) = self.reads.over_limit() {
            self.pause_reads();
            let me = Rc::downgrade(self);
            self.reads.resume_after(&self.scheduler, delay, move || {
                if let Some(state) = me.upgrade() {
                    state.resume_reads();
                }
            });
        }
        if let Some(delay) = self.writes.over_limit() {
            self.writes.paused.set(true);
            let me = Rc::downgrade(self);
            self.writes.resume_after(&self.scheduler, delay, move || {
                if let Some(state) = me.upgrade() {
                    state.resume_writes();
                }
            });
        }
    }

    fn members(&self) -> Vec<Rc<Member>> {
        let mut members = self.members.borrow_mut();
        members.retain(|m| m.strong_count() > 0);
        members.iter().filter_map(Weak::upgrade).collect()
    }

    fn pause_reads(&self) {
        self.reads.paused.set(true);
        for member in self.members() {
            member.below.pause_producing();
        }
    }

    fn resume_reads(&self) {
        if self.reads.paused.replace(false) {
            for member in self.members() {
                member.below.resume_producing();
            }
        }
    }

    fn resume_writes(&self) {
        if self.writes.paused.replace(false) {
            for member in self.members() {
                self.flush(&member);
            }
        }
    }

    /// Sends what `member` holds back, then its pending close.
    fn flush(&self, member: &Member) {
        let held = std::mem::take(&mut *member.held.borrow_mut());
        if !held.is_empty() {
            self.send(member, &held);
        }
        if member.close_pending.replace(false) {
            member.below.lose_connection();
        }
    }

    fn send(&self, member: &Member, data: &[u8]) {
        self.writes.count(data.len());
        member.below.write(data);
    }
}

impl Direction {
    fn count(&self, bytes: usize) {
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        self.this_second
            .set(self.this_second.get().saturating_add(bytes));
    }

    /// Closes the window: how long to pause if the window went over the limit.
    fn over_limit(&self) -> Option<Duration> {
        let done = self.this_second.replace(0);
        let limit = self.limit.get()?;
        (done > limit).then(|| Duration::from_secs_f64(done as f64 / limit as f64 - 1.0))
    }

    /// Ends the pause `delay` from now (a pause still under way is extended instead).
    fn resume_after(&self, scheduler: &Scheduler, delay: Duration, f: impl FnOnce() + 'static) {
        if let Some(previous) = self.resume.borrow_mut().take() {
            let _ = previous.cancel();
        }
        *self.resume.borrow_mut() = Some(scheduler.call_later(delay, f));
    }
}

impl Policy for Throttled {
    fn on_connection_made(&mut self, link: &Link) {
        let member = Rc::new(Member {
            below: link.below().clone(),
            held: RefCell::default(),
            close_pending: Cell::new(false),
        });
        if self.state.reads.paused.get() {
            member.below.pause_producing();
        }
        self.state.members.borrow_mut().push(Rc::downgrade(&member));
        self.member = Some(member);
    }

    fn on_data_in<'d>(&mut self, _link: &Link, data: &'d [u8]) -> Cow<'d, [u8]> {
        self.state.reads.count(data.len());
        Cow::Borrowed(data)
    }

    fn on_write(&mut self, link: &Link, data: &[u8]) {
        match &self.member {
            Some(member) if self.state.writes.paused.get() => {
                member.held.borrow_mut().extend_from_slice(data);
            }
            Some(member) => self.state.send(member, data),
            None => link.below().write(data),
        }
    }

    fn on_lose_connection(&mut self, link: &Link) {
        match &self.member {
            Some(member) if !member.held.borrow().is_empty() => member.close_pending.set(true),
            _ => link.below().lose_connection(),
        }
    }

    fn on_connection_lost(&mut self, _link: &Link, _reason: &Failure) {
        self.member = None;
    }
}
