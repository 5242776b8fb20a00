//! `Reactor::spawn_process`: start a child with its pipes on the stream engine and its
//! exit watched through a pidfd (Twisted's `IReactorProcess.spawnProcess`).

use std::ffi::OsStr;
use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::rc::Rc;

use super::child_fds::{ChildFdPlan, ParentEnd};
use super::errors::{declare_families, ProcessSpawnFailed, SpawnStage};
use super::host::{ProcessEvents, ProcessHost};
use super::options::ProcessOptions;
use super::pipe::PipeProtocol;
use super::protocol::ProcessProtocol;
use super::pty::open_pty;
use super::reap::{kill_and_reap, pidfd_open, Reaper};
use super::transport::{ProcessTransport, PTY_KEY};
use crate::time::ReactorTime;
use crate::{Failure, Reactor};

impl Reactor {
    /// Starts `executable` as a child process driven by `protocol` (Twisted's
    /// `reactor.spawnProcess`).
    ///
    /// `args` is the child's whole `argv`: `args[0]` is the name the child sees itself run
    /// as (the executable's name, by convention), the rest its arguments; empty `args`
    /// give `argv = [executable]`. `executable` is looked up in the child's `PATH` when
    /// it has no slash (`/bin:/usr/bin` if the child's environment has none), as Twisted's
    /// `execvpe`. See [`ProcessOptions`] for the environment (empty by
    /// default, as Twisted's), the working directory, the user, a pseudo-terminal and the
    /// child's descriptors (`{0: Write, 1: Read, 2: Read}` by default; every other one is
    /// closed in the child).
    ///
    /// Each pipe runs on the reactor's stream engine; the child is reaped through a pidfd
    /// as soon as it exits, without blocking the loop. `connection_made` runs before this
    /// returns; then the protocol's callbacks follow the order documented on
    /// [`ProcessProtocol`]. The child is not killed at reactor shutdown (its pipes are
    /// closed), as in Twisted.
    ///
    /// # Errors
    ///
    /// [`ProcessSpawnFailed`] (nothing is left running) when the working directory is not
    /// a directory, the executable cannot be run (missing, not executable: `exec`'s error),
    /// the pipes or terminal cannot be made, `uid`/`gid` cannot be taken, or `pidfd_open`
    /// fails (Linux before 5.3: no fallback to `SIGCHLD`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use torsion::{Failure, ProcessCx, ProcessOptions, ProcessProtocol, Reactor};
    ///
    /// struct Collect(Rc<RefCell<Vec<u8>>>);
    /// impl ProcessProtocol for Collect {
    ///     fn out_received(&mut self, _cx: &mut ProcessCx<Self>, data: &[u8]) {
    ///         self.0.borrow_mut().extend_from_slice(data);
    ///     }
    ///     fn process_ended(&mut self, cx: &mut ProcessCx<Self>, _reason: &Failure) {
    ///         cx.reactor().stop();
    ///     }
    /// }
    ///
    /// let out = Rc::new(RefCell::new(Vec::new()));
    /// let reactor = Reactor::new()?;
    /// reactor.set_install_signal_handlers(false);
    /// let child = reactor.spawn_process(
    ///     Collect(out.clone()),
    ///     "echo",
    ///     &["echo", "hello"],
    ///     ProcessOptions::default(),
    /// )?;
    /// assert!(child.pid().is_some());
    /// reactor.run()?;
    /// assert_eq!(*out.borrow(), b"hello\n");
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    pub fn spawn_process<P, E, A>(
        &self,
        protocol: P,
        executable: E,
        args: &[A],
        options: ProcessOptions,
    ) -> Result<ProcessTransport, Failure>
    where
        P: ProcessProtocol,
        E: AsRef<OsStr>,
        A: AsRef<OsStr>,
    {
        declare_families();
        let executable = executable.as_ref();
        let fail = |stage, os_error| {
            Failure::new(ProcessSpawnFailed {
                executable: executable.to_string_lossy().into_owned(),
                working_directory: options.path.clone(),
                stage,
                os_error,
            })
        };
        if let Some(dir) = &options.path {
            match std::fs::metadata(dir) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => {
                    let err = io::Error::from_raw_os_error(libc::ENOTDIR);
                    return Err(fail(SpawnStage::WorkingDirectory, err));
                }
                Err(err) => return Err(fail(SpawnStage::WorkingDirectory, err)),
            }
        }
        let plan = if options.use_pty {
            let (master, slave) = open_pty().map_err(|e| fail(SpawnStage::Pty, e))?;
            ChildFdPlan::terminal(master, slave, PTY_KEY)
        } else {
            ChildFdPlan::pipes(&options.child_fds).map_err(|e| fail(SpawnStage::Pipes, e))?
        };
        let mut command = command(executable, args, &options);
        // SAFETY: the set-up only makes async-signal-safe calls and allocates nothing (see
        // `ChildFdPlan::child_setup`), as a `pre_exec` closure must.
        unsafe {
            command.pre_exec(plan.child_setup());
        }
        let reserved = plan.reserve_targets();
        let spawned = command.spawn();
        drop(reserved);
        drop(command);
        let pid = spawned.map_err(|e| fail(SpawnStage::Exec, e))?.id();
        let ends = plan.into_parent_ends();
        let pidfd = pidfd_open(pid).map_err(|e| {
            kill_and_reap(pid);
            fail(SpawnStage::Pidfd, e)
        })?;
        let transport = ProcessTransport::new(self.clone(), pid, options.use_pty);
        let host: Rc<ProcessHost<P>> = ProcessHost::new(transport.clone());
        let events: Rc<dyn ProcessEvents> = host.clone();
        if let Err(err) = self.adopt_pipes(&transport, ends, &events, options.use_pty) {
            transport.abort_pipes();
            kill_and_reap(pid);
            return Err(fail(SpawnStage::Poll, err));
        }
        let reaper = Rc::new(std::cell::RefCell::new(Reaper::new(pid, pidfd, events)));
        if let Err(err) = self.add_reader(reaper) {
            transport.abort_pipes();
            kill_and_reap(pid);
            return Err(fail(SpawnStage::Poll, err));
        }
        tracing::debug!(pid, executable = %executable.to_string_lossy(), "child started");
        host.start(protocol, self.scheduler());
        Ok(transport)
    }

    /// Runs each of the parent's pipe ends as a stream connection of this reactor.
    fn adopt_pipes(
        &self,
        transport: &ProcessTransport,
        ends: Vec<ParentEnd>,
        events: &Rc<dyn ProcessEvents>,
        pty: bool,
    ) -> io::Result<()> {
        for end in ends {
            let pipe = PipeProtocol::new(end.child_fd, !pty, events.clone());
            let stream = self
                .adopt_stream(end.fd, None, pipe)
                .map_err(|f| io::Error::other(f.to_string()))?;
            transport.add_pipe(end.child_fd, stream, end.reads);
        }
        Ok(())
    }
}

/// The `Command` for `executable` with `args` as its whole `argv` and `options`' environment,
/// directory and ids. Its standard streams are left as ours: the child set-up puts each
/// descriptor in place.
fn command<A: AsRef<OsStr>>(executable: &OsStr, args: &[A], options: &ProcessOptions) -> Command {
    let mut command = Command::new(executable);
    match args.split_first() {
        Some((arg0, rest)) => {
            command.arg0(arg0).args(rest);
        }
        None => {
            command.arg0(executable);
        }
    }
    if let Some(env) = &options.env {
        command.env_clear();
        command.envs(env.iter().map(|(k, v)| (k, v)));
    }
    if let Some(dir) = &options.path {
        command.current_dir(dir);
    }
    if let Some(uid) = options.uid {
        command.uid(uid);
    }
    if let Some(gid) = options.gid {
        command.gid(gid);
    }
    command
}
