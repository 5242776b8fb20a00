//! The open destination behind a [`LogOutput`](super::LogOutput)'s lock: it formats each
//! event for where it goes and writes it whole.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};

use super::json::format_json;
use super::record::Record;
use super::syslog::SyslogSender;
use super::text::format_text;
use super::{LogDestination, LogFormat};

/// Mode of a log file the output creates (before the umask).
const FILE_MODE: u32 = 0o640;

/// An open destination.
#[derive(Debug)]
pub(super) enum Sink {
    Stdout,
    File { path: PathBuf, file: File },
    Syslog(SyslogSender),
}

impl Sink {
    /// Opens `destination`: a file now (so a bad path fails here), a syslog socket if it
    /// is there (a missing one is not an error).
    pub(super) fn open(destination: LogDestination) -> io::Result<Sink> {
        Ok(match destination {
            LogDestination::Stdout => Sink::Stdout,
            LogDestination::File(path) => Sink::File {
                file: open_file(&path)?,
                path,
            },
            LogDestination::Syslog {
                socket,
                ident,
                facility,
            } => Sink::Syslog(SyslogSender::new(socket, ident, facility)),
        })
    }

    /// Formats `record` and writes it with one `write_all` (one datagram for syslog),
    /// then flushes. Errors are dropped: there is nowhere left to report them.
    pub(super) fn write(
        &mut self,
        at: &DateTime<FixedOffset>,
        system: &str,
        format: LogFormat,
        record: &Record,
    ) {
        match self {
            Sink::Stdout => {
                let mut stdout = io::stdout().lock();
                let _ = stdout.write_all(&line(at, system, format, record));
                let _ = stdout.flush();
            }
            Sink::File { file, .. } => {
                let _ = file.write_all(&line(at, system, format, record));
                let _ = file.flush();
            }
            Sink::Syslog(sender) => {
                let datagram = sender.datagram(at, system, format, record);
                sender.send(&datagram);
            }
        }
    }

    /// Opens a file destination's path again and, only if that worked, swaps the file.
    pub(super) fn reopen(&mut self) -> io::Result<()> {
        if let Sink::File { path, file } = self {
            *file = open_file(path)?;
        }
        Ok(())
    }

    /// The descriptor of the current file, if the destination is a file.
    pub(super) fn file_descriptor(&self) -> Option<RawFd> {
        match self {
            Sink::File { file, .. } => Some(file.as_raw_fd()),
            Sink::Stdout | Sink::Syslog(_) => None,
        }
    }
}

/// The line written to a stream (stdout, a file), ending with `\n`.
fn line(at: &DateTime<FixedOffset>, system: &str, format: LogFormat, record: &Record) -> Vec<u8> {
    match format {
        LogFormat::Text => format_text(at, system, record).into_bytes(),
        LogFormat::Json => format_json(at, system, record),
    }
}

fn open_file(path: &PathBuf) -> io::Result<File> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .mode(FILE_MODE)
        .open(path)
}
