//! The command's own options (before the plugin's name), and the clap command built
//! from them and the plugins.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Command};

use super::log::{Facility, LogFormat};
use super::Plugin;

/// `torsion [OPTIONS] PLUGIN [PLUGIN OPTIONS]`: the options that come before the plugin.
#[derive(Args, Debug)]
pub(super) struct CommonOptions {
    /// Run in the background as a daemon (double fork, new session, umask, chdir /,
    /// standard streams to the log file). The command exits once the daemon has started,
    /// 0 if it did and 1 with the reason if it did not.
    #[arg(short = 'd', long)]
    pub(super) daemon: bool,
    /// Write the process id to FILE. A live process in it stops the start; a stale one is
    /// replaced; it is removed on exit.
    #[arg(long, value_name = "FILE")]
    pub(super) pidfile: Option<PathBuf>,
    /// Log to FILE ("-" for standard output, the default in the foreground; a daemon logs
    /// to torsion.log in the current directory by default). SIGHUP reopens it.
    #[arg(long, value_name = "FILE")]
    pub(super) logfile: Option<PathBuf>,
    /// How log lines look: text (Twisted's `TIME [system#level] message`) or json (one
    /// object per line).
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub(super) log_format: LogFormat,
    /// The least severe level logged: error, warn, info, debug or trace.
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    pub(super) log_level: tracing::Level,
    /// Log to syslog instead of a file.
    #[arg(long, conflicts_with = "logfile")]
    pub(super) syslog: bool,
    /// The syslog socket.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "/dev/log",
        requires = "syslog"
    )]
    pub(super) syslog_socket: PathBuf,
    /// The syslog facility (user, daemon, local0 ... local7).
    #[arg(
        long,
        value_name = "FACILITY",
        default_value = "daemon",
        requires = "syslog"
    )]
    pub(super) syslog_facility: Facility,
    /// Once the ports are bound, switch to USER (a name or a number; its group too unless
    /// --gid is given).
    #[arg(long, value_name = "USER")]
    pub(super) uid: Option<String>,
    /// Once the ports are bound, switch to GROUP (a name or a number).
    #[arg(long, value_name = "GROUP")]
    pub(super) gid: Option<String>,
    /// Seconds the connections still open get to finish after SIGTERM or SIGINT, before
    /// they are closed (a second signal closes them at once).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_seconds)]
    pub(super) grace_period: Duration,
    /// The daemon's umask, in octal.
    #[arg(long, value_name = "MASK", default_value = "077", value_parser = parse_octal)]
    pub(super) umask: u32,
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{text:?} is not a duration"))
}

fn parse_octal(text: &str) -> Result<u32, String> {
    u32::from_str_radix(text, 8)
        .ok()
        .filter(|mask| *mask <= 0o777)
        .ok_or_else(|| format!("{text:?} is not an octal umask"))
}

/// The name of the subcommand that lists the plugins.
pub(super) const PLUGINS: &str = "plugins";

/// The whole command line: the common options, then `plugins` or one plugin's name and
/// options.
pub(super) fn command(program: &str, plugins: &[Plugin]) -> Command {
    let command = CommonOptions::augment_args(Command::new(program.to_owned()))
        .about("Runs a server plugin in the foreground or as a daemon.")
        .long_about(None)
        .override_usage(format!("{program} [OPTIONS] PLUGIN [PLUGIN OPTIONS]"))
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand_value_name("PLUGIN")
        .subcommand_help_heading("Plugins");
    plugins
        .iter()
        .fold(command, |command, plugin| {
            command.subcommand(plugin.command())
        })
        .subcommand(Command::new(PLUGINS).about("Lists the plugins compiled into this command"))
}
