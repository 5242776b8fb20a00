//! Many cores, many reactors: one reactor per thread, each with its own listeners
//! (`SO_REUSEPORT`), sharing nothing on the hot path.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;

use super::{Phase, Reactor, SystemEvent, ThreadHandle};
use crate::Failure;

/// The reactors of a group, as one of them sees them: its own index and a handle to
/// every reactor (its own included), to send the rare message that must cross.
///
/// Cheap to clone and `Send`: give it to whatever needs to reach another reactor.
#[derive(Clone)]
pub struct Peers {
    index: usize,
    handles: Arc<[ThreadHandle]>,
}

impl Peers {
    /// This reactor's index in the group, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// How many reactors the group has.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Whether the group is empty (never true for a running group).
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// The handle of reactor `index`.
    ///
    /// # Panics
    ///
    /// If `index` is not below [`len`](Peers::len).
    pub fn handle(&self, index: usize) -> &ThreadHandle {
        &self.handles[index]
    }

    /// Runs `f` on reactor `index`'s thread, from its loop (see
    /// [`ThreadHandle::call_from_thread`]).
    ///
    /// # Panics
    ///
    /// If `index` is not below [`len`](Peers::len).
    pub fn call(&self, index: usize, f: impl FnOnce() + Send + 'static) {
        self.handles[index].call_from_thread(f);
    }

    /// Asks every reactor of the group to stop.
    pub fn stop_all(&self) {
        for handle in self.handles.iter() {
            handle.stop();
        }
    }
}

impl fmt::Debug for Peers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peers")
            .field("index", &self.index)
            .field("len", &self.len())
            .finish()
    }
}

type Setup = dyn Fn(&Reactor, &Peers) -> Result<(), Failure> + Send + Sync;

/// Runs `n` reactors, one per thread, and returns when all have stopped.
///
/// `setup` runs on each reactor's thread before it starts, with that reactor and the
/// group's [`Peers`]; it typically listens with
/// [`ListenOptions::reuse_port`](crate::ListenOptions::reuse_port) set, so the kernel spreads
/// connections over the reactors. Reactor 0 runs on the calling thread and handles SIGINT
/// and SIGTERM; when it stops, for any reason, it stops the others. Any reactor may stop
/// the whole group with [`Peers::stop_all`].
///
/// # Errors
///
/// The first error from `setup` or from a reactor's `run` (the group is stopped then), or
/// the OS error if a reactor or thread cannot be created.
///
/// # Examples
///
/// ```no_run
/// use torsion::{run_reactors, Cx, ListenOptions, Protocol};
///
/// struct Echo;
/// impl Protocol for Echo {
///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
///         cx.transport().write(data);
///     }
/// }
///
/// run_reactors(2, |reactor, _peers| {
///     let options = ListenOptions { reuse_port: true, ..ListenOptions::default() };
///     reactor.listen_tcp_with(8000, |_peer| Some(Echo), options)?;
///     Ok(())
/// })?;
/// # Ok::<(), torsion::Failure>(())
/// ```
pub fn run_reactors<F>(n: usize, setup: F) -> Result<(), Failure>
where
    F: Fn(&Reactor, &Peers) -> Result<(), Failure> + Send + Sync + 'static,
{
    let n = n.max(1);
    let setup: Arc<Setup> = Arc::new(setup);
    let (handle_tx, handle_rx) = mpsc::channel::<(usize, ThreadHandle)>();
    let mut peer_txs = Vec::new();
    let mut threads = Vec::new();
    for index in 1..n {
        let (peers_tx, peers_rx) = mpsc::channel::<Peers>();
        peer_txs.push(peers_tx);
        let (handle_tx, setup) = (handle_tx.clone(), setup.clone());
        let thread = thread::Builder::new()
            .name(format!("torsion-reactor-{index}"))
            .spawn(move || -> Result<(), String> {
                let reactor = Reactor::new().map_err(|e| e.to_string())?;
                reactor.set_install_signal_handlers(false);
                let _ = handle_tx.send((index, reactor.thread_handle()));
                // Let the channel close when every reactor that could start did.
                drop(handle_tx);
                let Ok(peers) = peers_rx.recv() else {
                    return Ok(());
                };
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    setup(&reactor, &peers).and_then(|()| reactor.run())
                }));
                let failure = match outcome {
                    Ok(Ok(())) => return Ok(()),
                    Ok(Err(failure)) => failure,
                    Err(payload) => Failure::from_panic("run_reactors setup", payload),
                };
                peers.stop_all();
                Err(failure.to_string())
            })?;
        threads.push(thread);
    }
    drop(handle_tx);
    let reactor = Reactor::new()?;
    let mut handles: Vec<Option<ThreadHandle>> = vec![None; n];
    handles[0] = Some(reactor.thread_handle());
    for (index, handle) in handle_rx.iter().take(n - 1) {
        handles[index] = Some(handle);
    }
    let started: Option<Vec<ThreadHandle>> = handles.into_iter().collect();
    let Some(handles) = started else {
        drop(peer_txs);
        return Err(join_all(threads)
            .err()
            .unwrap_or_else(|| Failure::from(thread_failed())));
    };
    let handles: Arc<[ThreadHandle]> = handles.into();
    for (i, tx) in peer_txs.into_iter().enumerate() {
        let _ = tx.send(Peers {
            index: i + 1,
            handles: handles.clone(),
        });
    }
    let peers = Peers { index: 0, handles };
    let others = peers.clone();
    reactor.add_system_event_trigger(Phase::After, SystemEvent::Shutdown, move || {
        others.stop_all()
    });
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        setup(&reactor, &peers).and_then(|()| reactor.run())
    }))
    .unwrap_or_else(|payload| Err(Failure::from_panic("run_reactors setup", payload)));
    peers.stop_all();
    let joined = join_all(threads);
    outcome.and(joined)
}

fn thread_failed() -> std::io::Error {
    std::io::Error::other("a reactor thread failed to start")
}

fn join_all(threads: Vec<thread::JoinHandle<Result<(), String>>>) -> Result<(), Failure> {
    let mut first_error = None;
    for thread in threads {
        let result = match thread.join() {
            Ok(result) => result,
            Err(_) => Err("a reactor thread panicked".to_string()),
        };
        if let Err(message) = result {
            first_error.get_or_insert(message);
        }
    }
    match first_error {
        Some(message) => Err(Failure::from(std::io::Error::other(message))),
        None => Ok(()),
    }
}
