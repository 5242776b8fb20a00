//! What both poetry clients share: the command line's server addresses and the summary
//! they print at the end.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

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

/// Prints `Task N: X bytes of poetry` for each `(task, bytes)`, then `Got N poems in
/// H:MM:SS.ffffff`.
pub fn print_summary(poems: &[(usize, usize)], elapsed: Duration) {
    for (task, bytes) in poems {
        println!("Task {task}: {bytes} bytes of poetry");
    }
    println!("Got {} poems in {}", poems.len(), format_elapsed(elapsed));
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
