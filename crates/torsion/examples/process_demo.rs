//! Runs a command as a child process of the reactor, streams what it writes to our stdout
//! and stderr as it comes (unprefixed, each to the same stream), and says how it ended.
//!
//! ```text
//! cargo run --example process_demo -- ls -l /tmp
//! cargo run --example process_demo -- --pty -- sh -c 'tty'
//! cargo run --example process_demo -- --timeout 2 -- sleep 30
//! ```
//!
//! The child gets our environment and working directory; its stdin is closed at once
//! (it reads end of file). When it has ended (exited and its pipes closed), one line on
//! stderr says how: `process_demo: exited with code N` or `process_demo: killed by signal
//! SIGNAME`, and we exit with its code (128 + the signal's number when killed, as a
//! shell does; 127 when it cannot be started).

use std::cell::Cell;
use std::io::Write;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use clap::Parser;
use torsion::error::ProcessTerminated;
use torsion::{Failure, ProcessCx, ProcessOptions, ProcessProtocol, Reactor, Signal};

#[path = "support/logging.rs"]
mod logging;

/// Runs a command and streams its output.
#[derive(Parser)]
struct Args {
    /// Runs the command on a pseudo-terminal (its stdout and stderr both arrive as stdout).
    #[arg(long)]
    pty: bool,
    /// Kills the command (SIGKILL) if it runs longer than this many seconds.
    #[arg(long)]
    timeout: Option<f64>,
    /// The command and its arguments.
    #[arg(required = true, last = true)]
    command: Vec<String>,
}

/// Streams the child's output and records the exit code we should end with.
struct Relay {
    timeout: Option<Duration>,
    exit_code: Rc<Cell<u8>>,
}

impl ProcessProtocol for Relay {
    fn connection_made(&mut self, cx: &mut ProcessCx<Self>) {
        cx.transport().close_stdin();
        if let Some(limit) = self.timeout {
            cx.call_later(limit, |_me, cx| {
                eprintln!("process_demo: timed out; killing the command");
                if let Err(err) = cx.transport().signal_process("KILL") {
                    eprintln!("process_demo: could not kill it: {err}");
                }
            });
        }
    }

    fn out_received(&mut self, _cx: &mut ProcessCx<Self>, data: &[u8]) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(data).and_then(|()| out.flush());
    }

    fn err_received(&mut self, _cx: &mut ProcessCx<Self>, data: &[u8]) {
        let _ = std::io::stderr().lock().write_all(data);
    }

    fn process_ended(&mut self, cx: &mut ProcessCx<Self>, reason: &Failure) {
        let code = match reason.downcast_ref::<ProcessTerminated>() {
            None => {
                eprintln!("process_demo: exited with code 0");
                0
            }
            Some(ProcessTerminated {
                exit_code: Some(code),
                ..
            }) => {
                eprintln!("process_demo: exited with code {code}");
                u8::try_from(*code).unwrap_or(1)
            }
            Some(ProcessTerminated {
                signal: Some(signal),
                ..
            }) => {
                eprintln!(
                    "process_demo: killed by signal {}",
                    Signal::name_of(*signal)
                );
                u8::try_from(128 + signal).unwrap_or(1)
            }
            Some(_) => {
                eprintln!("process_demo: ended with an unknown status");
                1
            }
        };
        self.exit_code.set(code);
        cx.reactor().stop();
    }
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::WARN);
    let args = Args::parse();
    let reactor = Reactor::new()?;
    let options = ProcessOptions {
        use_pty: args.pty,
        ..ProcessOptions::default().inherit_env()
    };
    let exit_code = Rc::new(Cell::new(1));
    let relay = Relay {
        timeout: args.timeout.map(Duration::from_secs_f64),
        exit_code: exit_code.clone(),
    };
    if let Err(err) = reactor.spawn_process(relay, &args.command[0], &args.command, options) {
        eprintln!("process_demo: {err}");
        return Ok(ExitCode::from(127));
    }
    reactor.run()?;
    Ok(ExitCode::from(exit_code.get()))
}
