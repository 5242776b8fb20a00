//! The loop: poll, dispatch, run due timers, flush; and the startup/shutdown sequence.

use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use super::remote::RemoteCall;
use super::signals::SignalWatch;
use super::token::{self, Source};
use super::triggers::{run_guarded, Phase, SystemEvent};
use super::Reactor;
use crate::error::{ConnectionLost, ReactorAlreadyRunning};
use crate::Failure;

impl Reactor {
    /// Runs the loop until [`stop`](Reactor::stop) (or SIGINT/SIGTERM, see
    /// [`set_install_signal_handlers`](Reactor::set_install_signal_handlers)).
    ///
    /// Fires the `Startup` triggers first and the `Shutdown` triggers last (see
    /// [`SystemEvent`]). A reactor may be run again after it returns.
    ///
    /// # Errors
    ///
    /// [`ReactorAlreadyRunning`] if it is running; the OS error if polling fails.
    pub fn run(&self) -> Result<(), Failure> {
        let inner = &self.inner;
        if inner.running.replace(true) {
            return Err(Failure::new(ReactorAlreadyRunning));
        }
        inner.stop_requested.set(false);
        if inner.install_signal_handlers.get() {
            match SignalWatch::install(&inner.registry) {
                Ok(watch) => *inner.signals.borrow_mut() = Some(watch),
                Err(err) => tracing::warn!(%err, "could not install signal handlers"),
            }
        }
        self.fire_system_event(SystemEvent::Startup);
        let mut result = Ok(());
        while !inner.stop_requested.get() {
            if let Err(err) = self.iterate() {
                result = Err(Failure::from(err));
                break;
            }
        }
        self.shut_down();
        if let Some(watch) = inner.signals.borrow_mut().take() {
            watch.uninstall(&inner.registry);
        }
        inner.running.set(false);
        result
    }

    fn fire_system_event(&self, event: SystemEvent) {
        for phase in [Phase::Before, Phase::During, Phase::After] {
            if event == SystemEvent::Shutdown && phase == Phase::During {
                self.disconnect_all();
            }
            let triggers = self.inner.triggers.borrow_mut().take(event, phase);
            for f in triggers {
                run_guarded("system event trigger", f);
            }
        }
    }

    fn shut_down(&self) {
        self.run_queued_work();
        self.fire_system_event(SystemEvent::Shutdown);
    }

    /// Writes what can be written now, then closes every port and connection.
    fn disconnect_all(&self) {
        self.run_queued_work();
        let listeners = self.inner.listeners.borrow().keys();
        for key in listeners {
            self.stop_listener(key, true);
        }
        let conns = self.inner.conns.borrow().keys();
        for key in conns {
            self.close_key(key, Failure::new(ConnectionLost { os_error: None }));
        }
        self.run_queued_work();
    }

    fn run_queued_work(&self) {
        self.read_resumed();
        self.flush_dirty();
    }

    /// One pass: wait for events (or the next timer), handle them, run due timers, flush.
    pub(crate) fn iterate(&self) -> io::Result<()> {
        let inner = &self.inner;
        let timeout = if inner.has_queued_work() {
            Some(Duration::ZERO)
        } else {
            self.timer_timeout()
        };
        {
            let mut events = inner.events.borrow_mut();
            if let Err(err) = inner.poll.borrow_mut().poll(&mut events, timeout) {
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(err);
                }
            }
        }
        let events = inner.events.borrow();
        // Held for the whole pass: only connection reads use it, and they never nest.
        let mut buf = inner.read_buf.borrow_mut();
        for event in events.iter() {
            match token::source(event.token()) {
                Source::Conn(index) => self.conn_ready(index, event, &mut buf),
                Source::Listener(index) => self.accept_ready(index),
                Source::Fd(index) => self.fd_ready(index, event),
                Source::Waker => self.run_remote_calls(),
                Source::Signal => self.signal_ready(),
                Source::Timer => inner.timer_fd.expired(),
            }
        }
        drop((events, buf));
        self.read_resumed();
        inner.scheduler.core.run_due(true);
        self.flush_dirty();
        Ok(())
    }

    /// How long the poll may block for the next timer: the timerfd wakes it on time,
    /// or, if the timerfd cannot be set, epoll's millisecond timeout does.
    fn timer_timeout(&self) -> Option<Duration> {
        let core = &self.inner.scheduler.core;
        let timer_fd = &self.inner.timer_fd;
        let Some(deadline) = core.next_deadline() else {
            let _ = timer_fd.disarm();
            return None;
        };
        let now = core.now();
        if deadline <= now {
            return Some(Duration::ZERO);
        }
        match timer_fd.arm(deadline, now) {
            Ok(()) => None,
            Err(_) => Some(Duration::from_nanos(deadline - now)),
        }
    }

    fn signal_ready(&self) {
        let got = self
            .inner
            .signals
            .borrow_mut()
            .as_mut()
            .is_some_and(|w| w.drain());
        if got {
            tracing::info!("received SIGINT or SIGTERM, shutting down");
            self.stop();
        }
    }

    fn run_remote_calls(&self) {
        for call in self.inner.remote.drain() {
            match call {
                RemoteCall::Call(f) => {
                    if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
                        let failure = Failure::from_panic("call_from_thread", payload);
                        tracing::error!(%failure, "a call from another thread panicked");
                    }
                }
                RemoteCall::Stop => self.stop(),
                RemoteCall::Lookup(key, result) => {
                    let done = self.inner.lookups.borrow_mut().remove(key);
                    if let Some(done) = done {
                        done(result);
                    }
                }
            }
        }
    }

    fn read_resumed(&self) {
        let keys = std::mem::take(&mut *self.inner.resumed.borrow_mut());
        if keys.is_empty() {
            return;
        }
        let mut buf = self.inner.read_buf.borrow_mut();
        for key in keys {
            self.do_read(key, &mut buf);
        }
    }
}
