//! The log output every example installs.

use std::io::IsTerminal;

/// Sends `tracing` events up to `max_level` to stderr. They are coloured only when stderr
/// is a terminal and `NO_COLOR` is unset or empty: a file or a pipe gets plain text.
///
/// # Panics
///
/// If a global subscriber is already installed.
pub fn log_to_stderr(max_level: tracing::Level) {
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").map_or(true, |v| v.is_empty());
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_max_level(max_level)
        .init();
}
