//! The library behind the `torsion` command (Twisted's `twist` and `twistd`): plugins
//! compiled in, one application per run, in the foreground or as a daemon, with a pid
//! file, a log file reopened on SIGHUP, privileges dropped after binding, and a graceful
//! drain on SIGTERM. Needs the `cli` feature.
//!
//! A program that ships its own command lists its plugins and hands them to [`main`]:
//!
//! ```no_run
//! use std::process::ExitCode;
//! use torsion::cli::{builtin_plugins, ListenOptions, Plugin};
//! use torsion::protocols::wire::Echo;
//!
//! fn main() -> ExitCode {
//!     let mut plugins = builtin_plugins();
//!     // Its options are --port and --listen; a plugin with more flattens ListenOptions
//!     // into a clap::Args struct of its own.
//!     plugins.push(Plugin::new("echo2", "Another echo server (port 7000).", |o: ListenOptions, cx| {
//!         cx.listen_all(&o, 7000, |_peer| Some(Echo))
//!     }));
//!     torsion::cli::main(plugins)
//! }
//! ```
//!
//! Then `mycommand --help` lists the plugins, `mycommand echo2 --help` shows the
//! plugin's options, and `mycommand -d --pidfile echo.pid --logfile echo.log echo2 --port
//! 7000` runs it as a daemon.

mod builtin;
mod daemon;
mod listen;
pub mod log;
mod options;
mod pidfile;
mod plugin;
mod privileges;
mod run;

use std::process::ExitCode;

use clap::FromArgMatches;

pub use builtin::builtin_plugins;
pub use listen::ListenOptions;
pub use plugin::{Plugin, PluginContext};

/// Runs the command with `plugins`: parses the command line (`PROGRAM [OPTIONS] PLUGIN
/// [PLUGIN OPTIONS]`, or `PROGRAM plugins` to list them), runs the chosen plugin until
/// SIGTERM or SIGINT, and gives the exit status: 0 when it ran and stopped as asked, 1
/// with `PROGRAM: REASON` on standard error when it could not start (a port taken, a live
/// pid file, a bad option value), 2 for a command line clap rejects. The program's name
/// is the executable's file name.
///
/// Call it from `main` before starting any thread: `--daemon` forks.
pub fn main(plugins: Vec<Plugin>) -> ExitCode {
    let program = program_name();
    let matches = options::command(&program, &plugins).get_matches();
    let Some((name, plugin_matches)) = matches.subcommand() else {
        unreachable!("clap requires a subcommand");
    };
    if name == options::PLUGINS {
        for plugin in &plugins {
            println!("{:<16}{}", plugin.name(), plugin.about());
        }
        return ExitCode::SUCCESS;
    }
    let common = match options::CommonOptions::from_arg_matches(&matches) {
        Ok(common) => common,
        Err(err) => err.exit(),
    };
    let plugin = plugins
        .iter()
        .find(|p| p.name() == name)
        .expect("clap accepts only the plugins' names");
    match run::run(&program, common, plugin, plugin_matches) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{program}: {message}");
            ExitCode::FAILURE
        }
    }
}

fn program_name() -> String {
    std::env::args_os()
        .next()
        .as_deref()
        .map(std::path::Path::new)
        .and_then(|path| path.file_name())
        .map_or_else(
            || "torsion".to_owned(),
            |name| name.to_string_lossy().into_owned(),
        )
}
