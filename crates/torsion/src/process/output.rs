//! `get_process_output`, `get_process_value`, `get_process_output_and_value`: run a
//! child to its end and get what it wrote or how it exited as a [`Deferred`] (Twisted's
//! `twisted.internet.utils`).

use std::ffi::{OsStr, OsString};
use std::path::Path;

use super::errors::{ProcessKilledWithOutput, ProcessTerminated, ProcessWroteToStderr};
use super::{ProcessCx, ProcessOptions, ProcessProtocol};
use crate::defer::Deferred;
use crate::{Failure, Reactor};

/// The environment argument of the helpers: `None` passes ours on, `Some(list)` is the
/// child's whole environment (as [`ProcessOptions::env`]).
pub type ProcessEnv = Option<Vec<(OsString, OsString)>>;

/// What [`get_process_output_and_value`] gives: `(stdout, stderr, exit code)`.
pub type OutputAndValue = (Vec<u8>, Vec<u8>, i32);

fn options(env: ProcessEnv, path: Option<&Path>) -> ProcessOptions {
    ProcessOptions {
        env,
        path: path.map(Path::to_path_buf),
        ..ProcessOptions::default()
    }
}

/// Spawns a helper's protocol; a failed start fails the Deferred.
fn spawn<P, E, A, T: 'static>(
    reactor: &Reactor,
    protocol: P,
    deferred: Deferred<T>,
    executable: E,
    args: &[A],
    options: ProcessOptions,
) -> Deferred<T>
where
    P: ProcessProtocol,
    E: AsRef<OsStr>,
    A: AsRef<OsStr>,
{
    match reactor.spawn_process(protocol, executable, args, options) {
        Ok(transport) => {
            transport.close_stdin();
            deferred
        }
        Err(failure) => Deferred::fail(failure),
    }
}

/// Fires a Deferred once, whatever it already got.
fn fire<T: 'static>(deferred: &mut Option<Deferred<T>>, outcome: Result<T, Failure>) {
    if let Some(d) = deferred.take() {
        let _ = match outcome {
            Ok(value) => d.callback(value),
            Err(failure) => d.errback(failure),
        };
    }
}

/// Collects standard output (and standard error with `errortoo`).
struct OutputCollector {
    out: Vec<u8>,
    errortoo: bool,
    deferred: Option<Deferred<Vec<u8>>>,
}

impl ProcessProtocol for OutputCollector {
    fn out_received(&mut self, _cx: &mut ProcessCx<Self>, data: &[u8]) {
        self.out.extend_from_slice(data);
    }

    fn err_received(&mut self, cx: &mut ProcessCx<Self>, data: &[u8]) {
        if self.errortoo {
            self.out.extend_from_slice(data);
        } else if self.deferred.is_some() {
            let failure = Failure::new(ProcessWroteToStderr {
                stderr: data.to_vec(),
            });
            fire(&mut self.deferred, Err(failure));
            cx.transport().lose_connection();
        }
    }

    fn process_ended(&mut self, _cx: &mut ProcessCx<Self>, _reason: &Failure) {
        let out = std::mem::take(&mut self.out);
        fire(&mut self.deferred, Ok(out));
    }
}

/// Runs `executable` with `args` (its whole `argv`, as for
/// [`Reactor::spawn_process`]) and fires with everything it wrote to standard output
/// once it has ended, whatever its exit code (Twisted's `getProcessOutput`). Its standard
/// input is closed at once.
///
/// With `errortoo`, what it writes to standard error is collected in the same buffer, in
/// the order it is read; without, the first byte on standard error fails the Deferred
/// with [`ProcessWroteToStderr`] and closes the pipes.
///
/// # Errors
///
/// The Deferred fails with [`ProcessSpawnFailed`](crate::error::ProcessSpawnFailed) if the
/// child cannot be started, or [`ProcessWroteToStderr`] as above.
///
/// # Cancel safety
///
/// Cancelling the Deferred does not stop the child; it runs to its end.
///
/// # Examples
///
/// ```
/// use torsion::process::get_process_output;
/// use torsion::Reactor;
///
/// let reactor = Reactor::new()?;
/// reactor.set_install_signal_handlers(false);
/// let output = get_process_output(&reactor, "echo", &["echo", "hi"], None, None, false);
/// let r = reactor.clone();
/// output.clone().add_both(move |result| { r.stop(); result });
/// reactor.run()?;
/// assert_eq!(output.take_result().unwrap()?, b"hi\n");
/// # Ok::<(), torsion::Failure>(())
/// ```
pub fn get_process_output<E: AsRef<OsStr>, A: AsRef<OsStr>>(
    reactor: &Reactor,
    executable: E,
    args: &[A],
    env: ProcessEnv,
    path: Option<&Path>,
    errortoo: bool,
) -> Deferred<Vec<u8>> {
    let deferred = Deferred::new();
    let protocol = OutputCollector {
        out: Vec::new(),
        errortoo,
        deferred: Some(deferred.clone()),
    };
    spawn(
        reactor,
        protocol,
        deferred,
        executable,
        args,
        options(env, path),
    )
}

/// Waits for the end and reports the exit code.
struct ValueGetter {
    deferred: Option<Deferred<i32>>,
}

impl ProcessProtocol for ValueGetter {
    fn process_ended(&mut self, _cx: &mut ProcessCx<Self>, reason: &Failure) {
        let outcome = match reason.downcast_ref::<ProcessTerminated>() {
            None => Ok(0),
            Some(ended) => ended.exit_code.ok_or_else(|| reason.clone()),
        };
        fire(&mut self.deferred, outcome);
    }
}

/// Runs `executable` with `args` and fires with its exit code once it has ended
/// (Twisted's `getProcessValue`). Its output is read and dropped; its standard input is
/// closed at once.
///
/// # Errors
///
/// The Deferred fails with [`ProcessSpawnFailed`](crate::error::ProcessSpawnFailed) if the
/// child cannot be started, or with the [`ProcessTerminated`] reason if a signal killed
/// it (there is no exit code to give).
///
/// # Cancel safety
///
/// Cancelling the Deferred does not stop the child.
///
/// # Examples
///
/// ```
/// use torsion::process::get_process_value;
/// use torsion::Reactor;
///
/// let reactor = Reactor::new()?;
/// reactor.set_install_signal_handlers(false);
/// let code = get_process_value(&reactor, "sh", &["sh", "-c", "exit 3"], None, None);
/// let r = reactor.clone();
/// code.clone().add_both(move |result| { r.stop(); result });
/// reactor.run()?;
/// assert_eq!(code.take_result().unwrap()?, 3);
/// # Ok::<(), torsion::Failure>(())
/// ```
pub fn get_process_value<E: AsRef<OsStr>, A: AsRef<OsStr>>(
    reactor: &Reactor,
    executable: E,
    args: &[A],
    env: ProcessEnv,
    path: Option<&Path>,
) -> Deferred<i32> {
    let deferred = Deferred::new();
    let protocol = ValueGetter {
        deferred: Some(deferred.clone()),
    };
    spawn(
        reactor,
        protocol,
        deferred,
        executable,
        args,
        options(env, path),
    )
}

/// Collects both outputs and the exit code.
struct EverythingGetter {
    out: Vec<u8>,
    err: Vec<u8>,
    deferred: Option<Deferred<OutputAndValue>>,
}

impl ProcessProtocol for EverythingGetter {
    fn out_received(&mut self, _cx: &mut ProcessCx<Self>, data: &[u8]) {
        self.out.extend_from_slice(data);
    }

    fn err_received(&mut self, _cx: &mut ProcessCx<Self>, data: &[u8]) {
        self.err.extend_from_slice(data);
    }

    fn process_ended(&mut self, _cx: &mut ProcessCx<Self>, reason: &Failure) {
        let (out, err) = (std::mem::take(&mut self.out), std::mem::take(&mut self.err));
        let outcome = match reason.downcast_ref::<ProcessTerminated>() {
            None => Ok((out, err, 0)),
            Some(ProcessTerminated {
                exit_code: Some(code),
                ..
            }) => Ok((out, err, *code)),
            Some(ProcessTerminated {
                signal: Some(signal),
                ..
            }) => Err(Failure::new(ProcessKilledWithOutput {
                stdout: out,
                stderr: err,
                signal: *signal,
            })),
            Some(_) => Err(reason.clone()),
        };
        fire(&mut self.deferred, outcome);
    }
}

/// Runs `executable` with `args` and fires with `(stdout, stderr, exit code)` once it has
/// ended (Twisted's `getProcessOutputAndValue`). Its standard input is closed at once.
///
/// # Errors
///
/// The Deferred fails with [`ProcessSpawnFailed`](crate::error::ProcessSpawnFailed) if the
/// child cannot be started, or with [`ProcessKilledWithOutput`] (the outputs and the
/// signal) if a signal killed it, as Twisted errbacks with the tuple.
///
/// # Cancel safety
///
/// Cancelling the Deferred does not stop the child.
///
/// # Examples
///
/// ```
/// use torsion::process::get_process_output_and_value;
/// use torsion::Reactor;
///
/// let reactor = Reactor::new()?;
/// reactor.set_install_signal_handlers(false);
/// let all = get_process_output_and_value(
///     &reactor, "sh", &["sh", "-c", "echo out; echo err >&2; exit 2"], None, None,
/// );
/// let r = reactor.clone();
/// all.clone().add_both(move |result| { r.stop(); result });
/// reactor.run()?;
/// assert_eq!(all.take_result().unwrap()?, (b"out\n".to_vec(), b"err\n".to_vec(), 2));
/// # Ok::<(), torsion::Failure>(())
/// ```
pub fn get_process_output_and_value<E: AsRef<OsStr>, A: AsRef<OsStr>>(
    reactor: &Reactor,
    executable: E,
    args: &[A],
    env: ProcessEnv,
    path: Option<&Path>,
) -> Deferred<OutputAndValue> {
    let deferred = Deferred::new();
    let protocol = EverythingGetter {
        out: Vec::new(),
        err: Vec::new(),
        deferred: Some(deferred.clone()),
    };
    spawn(
        reactor,
        protocol,
        deferred,
        executable,
        args,
        options(env, path),
    )
}
