//! One run of the command: the pid file, the log, the daemon, the plugin's services,
//! the ports, the privileges, then the loop until a signal.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use clap::ArgMatches;

use super::daemon::{self, StartupReport};
use super::log::{LogDestination, LogFormat, LogOutput};
use super::options::CommonOptions;
use super::pidfile::{self, Found, PidFile};
use super::privileges;
use super::{Plugin, PluginContext};
use crate::application::{Application, Runner, Service, StreamServerEndpointService};
use crate::Reactor;

/// Runs `plugin` with its `matches` under `options`. Returns the message to fail with.
/// As a daemon, failures after the fork go to the waiting process (and the log) instead.
pub(super) fn run(
    program: &str,
    options: CommonOptions,
    plugin: &Plugin,
    matches: &ArgMatches,
) -> Result<(), String> {
    let pidfile_path = options.pidfile.as_deref().map(absolute).transpose()?;
    let found = match &pidfile_path {
        Some(path) => pidfile::check(path)?,
        None => Found::Nothing,
    };
    let destination = log_destination(program, &options)?;
    let log = LogOutput::open(destination.clone(), options.log_format, plugin.name())
        .map_err(|err| format!("cannot open the log ({}): {err}", describe(&destination)))?;
    let mut report = if options.daemon {
        let log_fd = log.file_descriptor();
        daemon::daemonize(program, options.umask, log_fd)
            .map_err(|err| format!("cannot become a daemon: {err}"))?
    } else {
        StartupReport::none()
    };
    log.install(options.log_level)
        .map_err(|err| format!("cannot install the log: {err}"))?;
    if let Found::Stale(pid) = found {
        tracing::info!("removed a stale pid file (process {pid} is gone)");
    }
    let log = Rc::new(log);
    let log_to_stdout = matches!(destination, LogDestination::Stdout);
    let started = start(
        &options,
        plugin,
        matches,
        pidfile_path.as_deref(),
        &log,
        log_to_stdout,
    );
    let (runner, app, pidfile) = match started {
        Ok(started) => started,
        Err(message) => {
            tracing::error!("{message}");
            report.failed(&message);
            return Err(message);
        }
    };
    report.ready();
    tracing::info!("{} started (pid {})", plugin.name(), std::process::id());
    let result = runner.run();
    drop((runner, app, pidfile));
    match result {
        Ok(()) => {
            tracing::info!("{} stopped", plugin.name());
            Ok(())
        }
        Err(failure) => Err(format!("the reactor failed: {failure}")),
    }
}

/// Builds and binds the plugin's services, writes the pid file, drops privileges, and
/// has SIGHUP reopen the log.
fn start(
    options: &CommonOptions,
    plugin: &Plugin,
    matches: &ArgMatches,
    pidfile_path: Option<&Path>,
    log: &Rc<LogOutput>,
    log_to_stdout: bool,
) -> Result<(Runner, Application, Option<PidFile>), String> {
    let identity = privileges::resolve(options.uid.as_deref(), options.gid.as_deref())?;
    let reactor = Reactor::new().map_err(|err| format!("cannot make the reactor: {err}"))?;
    let mut cx = PluginContext::new(&reactor, plugin.name());
    plugin
        .make(matches, &mut cx)
        .map_err(|failure| format!("{}: {}", plugin.name(), failure.get_error_message()))?;
    let (app, servers) = cx.into_parts();
    let runner = Runner::new(&reactor, &app)
        .map_err(|failure| format!("cannot handle SIGTERM: {failure}"))?
        .grace_period(options.grace_period);
    let (l, daemon) = (log.clone(), options.daemon);
    reactor
        .add_signal_handler("HUP", move || reopen_log(&l, daemon))
        .map_err(|failure| format!("cannot handle SIGHUP: {failure}"))?;
    app.start_service();
    let json_on_stdout = log_to_stdout && options.log_format == LogFormat::Json;
    let print = !options.daemon && !json_on_stdout;
    report_listening(&servers, print, !(print && log_to_stdout))?;
    let pidfile = pidfile_path.map(PidFile::write).transpose()?;
    privileges::drop_to(identity)?;
    Ok((runner, app, pidfile))
}

/// Reports `listening on HOST:PORT` for every server port: as a plain line on standard
/// output when `print` (in the foreground, as the examples do, unless standard output
/// carries a JSON log), and in the log when `log` (not twice on standard output); fails
/// with the first port that could not be bound.
fn report_listening(
    servers: &[(String, StreamServerEndpointService)],
    print: bool,
    log: bool,
) -> Result<(), String> {
    for (description, service) in servers {
        let port = match service.listening().take_result() {
            Some(Ok(port)) => port,
            Some(Err(failure)) => {
                return Err(format!(
                    "cannot listen on {description}: {}",
                    failure.get_error_message()
                ))
            }
            None => continue,
        };
        let line = format!("listening on {}", port.get_host());
        if print {
            println!("{line}");
            let _ = std::io::Write::flush(&mut std::io::stdout());
        }
        if log {
            tracing::info!("{line}");
        }
    }
    Ok(())
}

fn reopen_log(log: &LogOutput, daemon: bool) {
    match log.reopen() {
        Ok(()) => {
            if daemon {
                if let Err(err) = daemon::redirect_standard_streams(log.file_descriptor()) {
                    tracing::warn!(%err, "could not point standard output at the new log file");
                }
            }
            tracing::info!("reopened the log file (SIGHUP)");
        }
        Err(err) => {
            tracing::error!(%err, "could not reopen the log file; still logging to the old one")
        }
    }
}

/// Where the log goes: syslog, the `--logfile`, or the default (standard output in the
/// foreground, `torsion.log` in the current directory for a daemon).
fn log_destination(program: &str, options: &CommonOptions) -> Result<LogDestination, String> {
    if options.syslog {
        return Ok(LogDestination::Syslog {
            socket: options.syslog_socket.clone(),
            ident: program.to_owned(),
            facility: options.syslog_facility,
        });
    }
    match options.logfile.as_deref() {
        Some(path) if path == Path::new("-") => {
            if options.daemon {
                return Err(
                    "--logfile - (standard output) cannot be used with --daemon: a \
                            daemon has no standard output"
                        .to_owned(),
                );
            }
            Ok(LogDestination::Stdout)
        }
        Some(path) => Ok(LogDestination::File(absolute(path)?)),
        None if options.daemon => Ok(LogDestination::File(absolute(Path::new(&format!(
            "{program}.log"
        )))?)),
        None => Ok(LogDestination::Stdout),
    }
}

fn describe(destination: &LogDestination) -> String {
    match destination {
        LogDestination::Stdout => "standard output".to_owned(),
        LogDestination::File(path) => path.display().to_string(),
        LogDestination::Syslog { socket, .. } => format!("syslog at {}", socket.display()),
    }
}

/// `path` from the current directory, so it still names the same file after a daemon's
/// `chdir /`.
fn absolute(path: &Path) -> Result<PathBuf, String> {
    std::path::absolute(path).map_err(|err| format!("bad path {}: {err}", path.display()))
}
