//! What both poetry clients share: the command line's server addresses, the record of
//! how each download went, and the summary they print at the end.

use std::collections::BTreeMap;
use std::fmt;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use torsion::error::ConnectionDone;
use torsion::Failure;

/// A server to download from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub host: String,
    pub port: u16,
}

impl FromStr for Address {
    type Err = String;

    fn from_str(text: &str) -> Result<Address, String> {
        let (host, port) = text.rsplit_once(':').unwrap_or(("", text));
        let port = port
            .parse()
            .map_err(|e| format!("bad port in {text:?}: {e}"))?;
        let host = if host.is_empty() { "127.0.0.1" } else { host };
        Ok(Address {
            host: host.to_string(),
            port,
        })
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// `H:MM:SS.ffffff`, as Python prints a `timedelta`.
pub fn format_elapsed(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    format!(
        "{}:{:02}:{:02}.{:06}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        elapsed.subsec_micros()
    )
}

/// How the downloads went. A download succeeds when the server sends its poem and closes
/// the connection cleanly; it fails when the server cannot be reached or the connection
/// breaks first.
#[derive(Default)]
pub struct Downloads {
    /// Whole poems by task number.
    pub poems: BTreeMap<usize, Vec<u8>>,
    /// The servers that did not deliver a whole poem, in the order they failed.
    pub failed: Vec<String>,
}

impl Downloads {
    /// Records that `destination` could not be reached, and prints `Failed to connect to:
    /// HOST:PORT: REASON`.
    pub fn connect_failed(&mut self, destination: impl fmt::Display, reason: &Failure) {
        println!("Failed to connect to: {destination}: {reason}");
        self.failed.push(destination.to_string());
    }

    /// Records the end of task `task`'s connection to `peer`, which received `poem`. A
    /// clean close (`ConnectionDone`) delivers the poem; any other `reason` fails the
    /// download, printed as `Task N: download from HOST:PORT failed after X bytes: REASON`.
    pub fn connection_ended(
        &mut self,
        task: usize,
        peer: impl fmt::Display,
        poem: Vec<u8>,
        reason: &Failure,
    ) {
        if reason.check::<ConnectionDone>() {
            self.poems.insert(task, poem);
        } else {
            println!(
                "Task {task}: download from {peer} failed after {} bytes: {reason}",
                poem.len()
            );
            self.failed.push(peer.to_string());
        }
    }

    /// `F of N downloads failed: HOST:PORT, ...`, or `None` when every download delivered
    /// its poem.
    pub fn failures(&self) -> Option<String> {
        (!self.failed.is_empty()).then(|| {
            format!(
                "{} of {} downloads failed: {}",
                self.failed.len(),
                self.failed.len() + self.poems.len(),
                self.failed.join(", ")
            )
        })
    }

    /// Prints `Task N: X bytes of poetry` for each whole poem, then `Got N poems in
    /// H:MM:SS.ffffff`. Returns success when every download delivered its poem; otherwise
    /// prints [`failures`](Downloads::failures) on stderr and returns failure.
    pub fn print_summary(&self, elapsed: Duration) -> ExitCode {
        for (task, poem) in &self.poems {
            println!("Task {task}: {} bytes of poetry", poem.len());
        }
        println!(
            "Got {} poems in {}",
            self.poems.len(),
            format_elapsed(elapsed)
        );
        match self.failures() {
            None => ExitCode::SUCCESS,
            Some(failures) => {
                eprintln!("{failures}");
                ExitCode::FAILURE
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_default_to_the_local_host() {
        assert_eq!(
            "10000".parse(),
            Ok(Address {
                host: "127.0.0.1".into(),
                port: 10000
            })
        );
        assert_eq!(
            "example.org:7".parse(),
            Ok(Address {
                host: "example.org".into(),
                port: 7
            })
        );
        assert_eq!(":8".parse::<Address>().unwrap().to_string(), "127.0.0.1:8");
        assert!("host:port".parse::<Address>().is_err());
        assert!("70000".parse::<Address>().is_err());
    }

    #[test]
    fn only_cleanly_closed_downloads_deliver_a_poem() {
        use torsion::error::{ConnectionLost, ConnectionRefused};

        let peer: std::net::SocketAddr = "127.0.0.1:10000".parse().unwrap();
        let mut downloads = Downloads::default();
        downloads.connection_ended(1, peer, b"whole".to_vec(), &Failure::new(ConnectionDone));
        assert_eq!(downloads.failures(), None);

        let lost = Failure::new(ConnectionLost { os_error: None });
        downloads.connection_ended(2, peer, b"ha".to_vec(), &lost);
        let refused = Failure::new(ConnectionRefused {
            os_error: std::io::ErrorKind::ConnectionRefused.into(),
        });
        downloads.connect_failed("example.org:7", &refused);

        assert_eq!(downloads.poems.keys().copied().collect::<Vec<_>>(), [1]);
        assert_eq!(
            downloads.failures().as_deref(),
            Some("2 of 3 downloads failed: 127.0.0.1:10000, example.org:7")
        );
    }

    #[test]
    fn elapsed_time_reads_like_a_timedelta() {
        assert_eq!(
            format_elapsed(Duration::from_micros(10_134_220)),
            "0:00:10.134220"
        );
        assert_eq!(
            format_elapsed(Duration::from_secs(3 * 3600 + 61)),
            "3:01:01.000000"
        );
    }
}
