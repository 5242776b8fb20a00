//! System event triggers: code to run before, during or after startup and shutdown.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::Failure;

/// The reactor's own events (Twisted's `'startup'` and `'shutdown'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemEvent {
    /// `run` started: fired before the first loop iteration.
    Startup,
    /// `stop` was called (or SIGINT/SIGTERM arrived): fired after the last iteration.
    Shutdown,
}

/// When, relative to the event itself, a trigger runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Before the event: at shutdown, every connection is still open.
    Before,
    /// The event: at shutdown, this is when the reactor closes ports and connections.
    During,
    /// After the event: at shutdown, every connection is closed.
    After,
}

/// Names a registered trigger so it can be removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TriggerId(u64);

struct Trigger {
    id: TriggerId,
    event: SystemEvent,
    phase: Phase,
    func: Box<dyn FnOnce()>,
}

#[derive(Default)]
pub(crate) struct Triggers {
    next_id: u64,
    list: Vec<Trigger>,
}

impl Triggers {
    pub(crate) fn add(
        &mut self,
        phase: Phase,
        event: SystemEvent,
        func: Box<dyn FnOnce()>,
    ) -> TriggerId {
        self.next_id += 1;
        let id = TriggerId(self.next_id);
        self.list.push(Trigger {
            id,
            event,
            phase,
            func,
        });
        id
    }

    pub(crate) fn remove(&mut self, id: TriggerId) -> bool {
        let before = self.list.len();
        self.list.retain(|t| t.id != id);
        before != self.list.len()
    }

    /// Takes the triggers for one phase of one event, in the order they were added.
    pub(crate) fn take(&mut self, event: SystemEvent, phase: Phase) -> Vec<Box<dyn FnOnce()>> {
        let (now, later): (Vec<_>, Vec<_>) = self
            .list
            .drain(..)
            .partition(|t| t.event == event && t.phase == phase);
        self.list = later;
        now.into_iter().map(|t| t.func).collect()
    }
}

pub(crate) fn run_guarded(what: &'static str, f: Box<dyn FnOnce()>) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
        let failure = Failure::from_panic(what, payload);
        tracing::error!(%failure, "a system event trigger panicked");
    }
}
