//! Log output of the `torsion` command (Twisted's `twist`/`twistd` log observer): every
//! `tracing` event as Twisted's text line or as one JSON object, written to the standard
//! output, a file (reopened for log rotation) or a syslog daemon.
//!
//! The text line is the one `twist` writes:
//!
//! ```text
//! 2026-11-24T10:00:00+0000 [reverse#info] connection made peer=127.0.0.1:5000
//! ```
//!
//! the local time with its numeric offset, `[system#level]` (tracing's TRACE and DEBUG
//! are both `debug`), the message, then the event's fields and its spans' fields as
//! `key=value`. Each line of a multi-line message gets the whole prefix.
//!
//! # Examples
//!
//! ```no_run
//! use torsion::cli::log::{LogDestination, LogFormat, LogOutput};
//!
//! let output = LogOutput::open(LogDestination::File("reverse.log".into()), LogFormat::Text, "reverse")?;
//! output.install(tracing::Level::INFO).expect("no other global subscriber");
//! tracing::info!("started");
//! // On SIGHUP, after logrotate renamed the file:
//! output.reopen()?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod destination;
mod facility;
mod format;
mod json;
mod layer;
mod level;
mod output;
mod record;
mod sink;
mod syslog;
#[cfg(test)]
mod test_dir;
#[cfg(test)]
mod test_strings;
#[cfg(test)]
mod tests;
mod text;

pub use destination::{LogDestination, DEFAULT_SYSLOG_SOCKET};
pub use facility::{Facility, ParseFacilityError};
pub use format::{LogFormat, ParseLogFormatError};
pub use output::LogOutput;
