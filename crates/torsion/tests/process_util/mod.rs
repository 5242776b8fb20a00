//! Helpers for the child-process tests: a protocol that records every callback it gets
//! (and can run a hook at each), and a reactor run bounded by a deadline.
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::os::fd::RawFd;
use std::rc::Rc;

use torsion::{Failure, ProcessCx, ProcessOptions, ProcessProtocol, ProcessTransport, Reactor};

#[path = "../util/mod.rs"]
pub mod util;

/// Everything a [`Recording`] protocol saw.
#[derive(Default)]
pub struct Seen {
    /// One line per callback, in order (`made`, `data 1`, `lost 0`, `exited`, `ended`).
    pub events: Vec<String>,
    /// Bytes received, by the child's descriptor.
    pub data: BTreeMap<RawFd, Vec<u8>>,
    pub exited: Option<Failure>,
    pub ended: Option<Failure>,
}

impl Seen {
    pub fn out(&self, fd: RawFd) -> String {
        String::from_utf8_lossy(self.data.get(&fd).map_or(&[][..], |d| d)).into_owned()
    }

    pub fn position(&self, event: &str) -> usize {
        self.events
            .iter()
            .position(|e| e == event)
            .unwrap_or_else(|| panic!("no {event:?} in {:?}", self.events))
    }
}

type Hook = Box<dyn FnMut(&mut ProcessCx<Recording>, &str, &[u8])>;

/// Records every callback; stops the reactor at `process_ended`. A hook runs after each
/// callback is recorded, with the event's name and data.
pub struct Recording {
    pub seen: Rc<RefCell<Seen>>,
    hook: Option<Hook>,
}

impl Recording {
    pub fn new() -> (Recording, Rc<RefCell<Seen>>) {
        let seen = Rc::new(RefCell::new(Seen::default()));
        (
            Recording {
                seen: seen.clone(),
                hook: None,
            },
            seen,
        )
    }

    pub fn with_hook(
        hook: impl FnMut(&mut ProcessCx<Recording>, &str, &[u8]) + 'static,
    ) -> (Recording, Rc<RefCell<Seen>>) {
        let (mut recording, seen) = Recording::new();
        recording.hook = Some(Box::new(hook));
        (recording, seen)
    }

    fn note(&mut self, cx: &mut ProcessCx<Self>, event: String, data: &[u8]) {
        self.seen.borrow_mut().events.push(event.clone());
        if let Some(hook) = &mut self.hook {
            hook(cx, &event, data);
        }
    }
}

impl ProcessProtocol for Recording {
    fn connection_made(&mut self, cx: &mut ProcessCx<Self>) {
        self.note(cx, "made".into(), b"");
    }

    fn child_data_received(&mut self, cx: &mut ProcessCx<Self>, fd: RawFd, data: &[u8]) {
        {
            let mut seen = self.seen.borrow_mut();
            seen.data.entry(fd).or_default().extend_from_slice(data);
            if seen.events.last().map(String::as_str) != Some(&format!("data {fd}")) {
                seen.events.push(format!("data {fd}"));
            }
        }
        if let Some(hook) = &mut self.hook {
            hook(cx, &format!("data {fd}"), data);
        }
    }

    fn child_connection_lost(&mut self, cx: &mut ProcessCx<Self>, fd: RawFd) {
        self.note(cx, format!("lost {fd}"), b"");
    }

    fn process_exited(&mut self, cx: &mut ProcessCx<Self>, reason: &Failure) {
        self.seen.borrow_mut().exited = Some(reason.clone());
        self.note(cx, "exited".into(), b"");
    }

    fn process_ended(&mut self, cx: &mut ProcessCx<Self>, reason: &Failure) {
        self.seen.borrow_mut().ended = Some(reason.clone());
        self.note(cx, "ended".into(), b"");
        cx.reactor().stop();
    }
}

/// Options with our environment passed on (so `PATH` and the like are there).
pub fn inherit() -> ProcessOptions {
    ProcessOptions::default().inherit_env()
}

/// Spawns `args` (`args[0]` is the executable) with a [`Recording`] protocol.
pub fn spawn(
    reactor: &Reactor,
    args: &[&str],
    options: ProcessOptions,
) -> (ProcessTransport, Rc<RefCell<Seen>>) {
    let (protocol, seen) = Recording::new();
    let transport = reactor
        .spawn_process(protocol, args[0], args, options)
        .expect("spawn the child");
    (transport, seen)
}

/// Whether `/proc/PID` is gone or is not a zombie.
pub fn not_a_zombie(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z')
        }
    }
}
