//! The loop: poll, dispatch, run due timers, flush; and the startup/shutdown sequence.

use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use super::remote::RemoteCall;
use super::token::{self, Source};
use super::triggers::{run_guarded, Phase, SystemEvent};
use super::Reactor;
use crate::error::{ConnectionLost, ReactorAlreadyRunning};
use crate::Failure;

/// Clears `running` when `run` ends, by return or by unwinding, so a later `run` is not
/// refused.
struct RunningGuard<'a>(&'a std::cell::Cell<bool>);

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

impl Reactor {
    /// Runs the loop until [`stop`](Reactor::stop) (or SIGINT/SIGTERM, see
    /// [`set_install_signal_handlers`](Reactor::set_install_signal_handlers)).
    ///
    /// Fires the `Startup` triggers first and the `Shutdown` triggers last (see
    /// [`SystemEvent`]). When it returns, every port and connection is closed (raw
    /// descriptors added with [`add_reader`](Reactor::add_reader) stay), and calls
    /// still pending are kept by their [`DelayedCall`](crate::DelayedCall) handles only
    /// (one whose handles were all dropped is dropped, so a handle to the reactor that it
    /// captured does not keep the reactor and its descriptors alive), and name lookups
    /// under way are forgotten. A reactor may be run again after it returns; the calls
    /// whose handles were kept then run when due.
    ///
    /// # Errors
    ///
    /// [`ReactorAlreadyRunning`] if it is running; the OS error if polling fails.
    pub fn run(&self) -> Result<(), Failure> {
        let core = &self.core;
        if core.running.replace(true) {
            return Err(Failure::new(ReactorAlreadyRunning));
        }
        let _running = RunningGuard(&core.running);
        core.stop_requested.set(false);
        self.install_signal_watch();
        core.timers.unpark();
        self.fire_system_event(SystemEvent::Startup);
        let mut result = Ok(());
        while !core.stop_requested.get() {
            if let Err(err) = self.iterate() {
                result = Err(Failure::from(err));
                break;
            }
        }
        self.shut_down();
        if let Some(watch) = core.signals.borrow_mut().take() {
            watch.uninstall(core.io.registry());
        }
        self.release_user_state();
        result
    }

    /// Listens for SIGINT and SIGTERM (unless told not to) and for every signal a handler
    /// waits for. A signal that cannot be listened for is logged, not fatal.
    fn install_signal_watch(&self) {
        let mut signals = self.core.signal_handlers.borrow().signals();
        if self.core.install_signal_handlers.get() {
            signals.extend([libc::SIGINT, libc::SIGTERM]);
        }
        for signal in signals {
            if let Err(err) = self.watch_signal(signal) {
                tracing::warn!(%err, signal, "could not install a signal handler");
            }
        }
    }

    fn fire_system_event(&self, event: SystemEvent) {
        for phase in [Phase::Before, Phase::During, Phase::After] {
            if event == SystemEvent::Shutdown && phase == Phase::During {
                self.disconnect_all();
            }
            let triggers = self.core.triggers.borrow_mut().take(event, phase);
            for f in triggers {
                run_guarded("system event trigger", f);
            }
        }
    }

    fn shut_down(&self) {
        self.run_queued_work();
        self.fire_system_event(SystemEvent::Shutdown);
    }

    /// Lets go of what user code gave the stopped reactor and that could hold handles to
    /// it: pending calls go to their handles, name lookups under way are dropped.
    fn release_user_state(&self) {
        self.core.timers.park();
        let lookups = std::mem::take(&mut *self.core.lookups.borrow_mut());
        drop(lookups);
    }

    /// Writes what can be written now, then closes every port and connection. Raw
    /// descriptors stay registered for a next `run`.
    fn disconnect_all(&self) {
        self.run_queued_work();
        for key in self.core.listeners.keys() {
            self.stop_listener(key, true);
        }
        for key in self.core.datagrams.keys() {
            self.stop_datagram_port(key, true);
        }
        for key in self.core.streams.keys() {
            self.close_stream(key, Failure::new(ConnectionLost { os_error: None }));
        }
        self.run_queued_work();
    }

    fn run_queued_work(&self) {
        self.core.tasks.run_ready();
        self.read_resumed();
        self.accept_again();
        self.read_datagrams_again();
        self.flush_dirty();
    }

    /// One pass: wait for events (or the next timer), handle them, run due timers, flush.
    pub(crate) fn iterate(&self) -> io::Result<()> {
        let core = &self.core;
        let timeout = if core.has_queued_work() {
            // Datagram ports cut short on the last pass, before this pass's events.
            self.read_datagrams_again();
            Some(Duration::ZERO)
        } else {
            core.timers.poll_timeout()
        };
        core.io.poll(timeout)?;
        let events = core.io.events();
        // Held for the whole pass: only stream reads use it, and they never nest.
        let mut buf = core.streams.read_buf();
        for event in events.iter() {
            match token::stream_key(event.token()) {
                Some(key) => self.stream_ready(key, event, &mut buf),
                None => self.other_ready(event),
            }
        }
        drop((events, buf));
        self.read_resumed();
        self.accept_again();
        core.timers.run_due();
        if core.tasks.has_work() {
            core.tasks.start_pass();
            core.tasks.run_ready();
        }
        self.flush_dirty();
        Ok(())
    }

    /// An event for anything but a stream: kept out of line, so the loop's dispatch of
    /// stream events is one test whatever other kinds of source there are.
    #[inline(never)]
    fn other_ready(&self, event: &mio::event::Event) {
        match token::source(event.token()) {
            Source::Listener(key) => self.accept_ready(key),
            Source::Fd(key) => self.fd_ready(key, event),
            Source::Datagram(key) => self.datagram_ready(key),
            Source::Waker => self.run_remote_calls(),
            Source::Signal => self.signal_ready(),
            Source::Timer => self.core.timers.expired(),
        }
    }

    pub(crate) fn run_remote_calls(&self) {
        for call in self.core.remote.drain() {
            match call {
                RemoteCall::Call(f) => {
                    if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
                        let failure = Failure::from_panic("call_from_thread", payload);
                        tracing::error!(%failure, "a call from another thread panicked");
                    }
                }
                RemoteCall::OnReactor(f) => {
                    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| f(self))) {
                        let failure = Failure::from_panic("call_from_thread", payload);
                        tracing::error!(%failure, "a call from another thread panicked");
                    }
                }
                RemoteCall::Stop => self.stop(),
                RemoteCall::Lookup(key, result) => {
                    let done = self.core.lookups.borrow_mut().remove(key);
                    if let Some(done) = done {
                        done(result);
                    }
                }
            }
        }
    }
}
