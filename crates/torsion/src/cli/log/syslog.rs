//! Sending events to a syslog daemon: RFC 3164 datagrams on its UNIX datagram socket,
//! dropped (never blocking) while the daemon is away, sent again once it is back.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use tracing::Level;

use super::json::format_json;
use super::level;
use super::record::Record;
use super::text::text_body;
use super::{Facility, LogFormat};

/// A connection to the syslog daemon's socket, made again when sending fails.
#[derive(Debug)]
pub(super) struct SyslogSender {
    socket_path: PathBuf,
    ident: String,
    facility: Facility,
    /// `None` while the daemon's socket could not be reached.
    socket: Option<UnixDatagram>,
}

impl SyslogSender {
    /// A sender to `socket_path`; a missing socket is not an error (events are dropped
    /// until it appears).
    pub(super) fn new(socket_path: PathBuf, ident: String, facility: Facility) -> SyslogSender {
        let socket = connect(&socket_path).ok();
        SyslogSender {
            socket_path,
            ident,
            facility,
            socket,
        }
    }

    /// The whole datagram for `record`: the [`header`](Self::header), then
    /// `[system#level] message key=value` in text, or the JSON object. A multi-line
    /// message stays in one datagram (the syslog daemon escapes or keeps its newlines).
    pub(super) fn datagram(
        &self,
        at: &DateTime<FixedOffset>,
        system: &str,
        format: LogFormat,
        record: &Record,
    ) -> Vec<u8> {
        let mut datagram = self.header(at, record.level).into_bytes();
        match format {
            LogFormat::Text => {
                let name = level::twisted_name(record.level);
                datagram.extend_from_slice(format!("[{system}#{name}]").as_bytes());
                let body = text_body(record);
                if !body.is_empty() {
                    datagram.push(b' ');
                    datagram.extend_from_slice(body.as_bytes());
                }
            }
            LogFormat::Json => {
                datagram.extend_from_slice(&format_json(at, system, record));
                datagram.pop(); // The newline: a datagram is a line already.
            }
        }
        datagram
    }

    /// The start of every datagram: `<PRI>Mmm dd hh:mm:ss IDENT[PID]: `, with PRI =
    /// facility * 8 + severity and the time in the local time of `at`. The process id is
    /// read each time (a daemon forks after opening its log).
    fn header(&self, at: &DateTime<FixedOffset>, level: Level) -> String {
        let priority =
            u16::from(self.facility.code()) * 8 + u16::from(level::syslog_severity(level));
        format!(
            "<{priority}>{} {}[{}]: ",
            at.format("%b %e %H:%M:%S"),
            self.ident,
            std::process::id()
        )
    }

    /// Sends one datagram. A full socket buffer drops it; any other failure (no socket,
    /// the daemon restarted) connects again once and retries once, then drops it.
    pub(super) fn send(&mut self, datagram: &[u8]) {
        if let Some(socket) = &self.socket {
            match socket.send(datagram) {
                Ok(_) => return,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(_) => {}
            }
        }
        self.socket = connect(&self.socket_path).ok();
        if let Some(socket) = &self.socket {
            // Dropped if this fails too: there is nowhere to report it.
            let _ = socket.send(datagram);
        }
    }
}

/// A non-blocking datagram socket connected to `path`.
fn connect(path: &PathBuf) -> io::Result<UnixDatagram> {
    let socket = UnixDatagram::unbound()?;
    socket.set_nonblocking(true)?;
    socket.connect(path)?;
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::log::test_dir::TestDir;

    fn pinned() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-04T09:05:03+01:00").unwrap()
    }

    fn receive(daemon: &UnixDatagram) -> Vec<u8> {
        daemon
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        let mut buf = [0; 64];
        let len = daemon.recv(&mut buf).expect("a datagram");
        buf[..len].to_vec()
    }

    #[test]
    fn the_header_follows_rfc_3164() {
        let dir = TestDir::new();
        let sender = SyslogSender::new(dir.join("log"), "reverse".into(), Facility::Daemon);
        assert_eq!(
            sender.header(&pinned(), Level::WARN),
            format!("<28>Nov  4 09:05:03 reverse[{}]: ", std::process::id())
        );
        let local = SyslogSender::new(dir.join("log"), "x".into(), Facility::Local7);
        assert!(local.header(&pinned(), Level::DEBUG).starts_with("<191>"));
        assert!(local.header(&pinned(), Level::ERROR).starts_with("<187>"));
    }

    #[test]
    fn a_missing_socket_drops_datagrams() {
        let dir = TestDir::new();
        let mut sender = SyslogSender::new(dir.join("absent"), "x".into(), Facility::User);
        sender.send(b"lost");
        assert!(sender.socket.is_none());
    }

    #[test]
    fn sending_resumes_when_the_daemon_comes_back() {
        let dir = TestDir::new();
        let path = dir.join("log");
        let first = UnixDatagram::bind(&path).unwrap();
        let mut sender = SyslogSender::new(path.clone(), "x".into(), Facility::User);
        sender.send(b"one");
        assert_eq!(receive(&first), b"one");

        drop(first);
        std::fs::remove_file(&path).unwrap();
        sender.send(b"while away");

        let second = UnixDatagram::bind(&path).unwrap();
        sender.send(b"two");
        assert_eq!(receive(&second), b"two");
    }
}
