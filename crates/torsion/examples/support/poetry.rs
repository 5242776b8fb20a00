//! What the poetry clients share: the command line's server addresses, the record of
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

/// A download that connected but delivered no poem: the connection ended with `reason`
/// after `received` bytes.
#[derive(Debug)]
pub struct DownloadBroken {
    pub received: usize,
    pub reason: Failure,
}

impl fmt::Display for DownloadBroken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "failed after {} bytes: {}", self.received, self.reason)
    }
}

impl std::error::Error for DownloadBroken {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.reason)
    }
}

/// What a connection that ended with `reason`, after `poem` arrived, delivered: the poem
/// when it closed cleanly (`ConnectionDone`), a [`DownloadBroken`] failure otherwise.
pub fn poem_or_broken(poem: Vec<u8>, reason: &Failure) -> Result<Vec<u8>, Failure> {
    if reason.check::<ConnectionDone>() {
        Ok(poem)
    } else {
        Err(Failure::new(DownloadBroken {
            received: poem.len(),
            reason: reason.clone(),
        }))
    }
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

    /// Records the whole poem task `task` received.
    pub fn poem_received(&mut self, task: usize, poem: Vec<u8>) {
        self.poems.insert(task, poem);
    }

    /// Records that task `task`'s download from `server` failed. A [`DownloadBroken`] is
    /// printed as `Task N: download from HOST:PORT failed after X bytes: REASON`; any other
    /// failure means the server could not be reached (see
    /// [`connect_failed`](Downloads::connect_failed)).
    pub fn download_failed(&mut self, task: usize, server: impl fmt::Display, failure: &Failure) {
        match failure.downcast_ref::<DownloadBroken>() {
            Some(broken) => {
                println!("Task {task}: download from {server} {broken}");
                self.failed.push(server.to_string());
            }
            None => self.connect_failed(server, failure),
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
        use torsion::error::ConnectionLost;

        let done = Failure::new(ConnectionDone);
        assert_eq!(poem_or_broken(b"whole".to_vec(), &done).unwrap(), b"whole");

        let lost = Failure::new(ConnectionLost { os_error: None });
        let failure = poem_or_broken(b"ha".to_vec(), &lost).unwrap_err();
        let broken = failure.downcast_ref::<DownloadBroken>().unwrap();
        assert_eq!(broken.received, 2);
        assert!(broken.reason.check::<ConnectionLost>());
        assert_eq!(
            broken.to_string(),
            "failed after 2 bytes: ConnectionLost: Connection to the other side was lost in \
             a non-clean fashion: Connection lost."
        );
    }

    #[test]
    fn failed_downloads_are_counted_with_their_servers() {
        use torsion::error::{ConnectionLost, ConnectionRefused};

        let mut downloads = Downloads::default();
        downloads.poem_received(1, b"whole".to_vec());
        assert_eq!(downloads.failures(), None);

        let lost = Failure::new(ConnectionLost { os_error: None });
        let broken = poem_or_broken(b"ha".to_vec(), &lost).unwrap_err();
        downloads.download_failed(2, "127.0.0.1:10000", &broken);
        let refused = Failure::new(ConnectionRefused {
            os_error: std::io::ErrorKind::ConnectionRefused.into(),
        });
        downloads.download_failed(3, "example.org:7", &refused);

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
