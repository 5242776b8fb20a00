//! [`Signal`]: a signal to send to a child, by Twisted's name or by number.

use std::io;

use crate::Failure;

/// A signal for [`ProcessTransport::signal_process`](crate::ProcessTransport::signal_process):
/// a name as Twisted takes it (`"TERM"`, `"KILL"`, `"INT"`, `"HUP"`; also `"QUIT"`,
/// `"USR1"`, `"USR2"`, `"STOP"`, `"CONT"`, `"ALRM"`, with or without `SIG`) or a number.
///
/// # Examples
///
/// ```
/// use torsion::Signal;
///
/// assert_eq!(Signal::from("KILL").number()?, 9);
/// assert_eq!(Signal::from("SIGTERM").number()?, 15);
/// assert_eq!(Signal::from(2).number()?, 2);
/// assert!(Signal::from("BOGUS").number().is_err());
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// A signal by name.
    Named(String),
    /// A signal by number.
    Number(i32),
}

impl From<&str> for Signal {
    fn from(name: &str) -> Signal {
        Signal::Named(name.to_string())
    }
}

impl From<i32> for Signal {
    fn from(number: i32) -> Signal {
        Signal::Number(number)
    }
}

const NAMES: [(&str, i32); 10] = [
    ("TERM", libc::SIGTERM),
    ("KILL", libc::SIGKILL),
    ("INT", libc::SIGINT),
    ("HUP", libc::SIGHUP),
    ("QUIT", libc::SIGQUIT),
    ("USR1", libc::SIGUSR1),
    ("USR2", libc::SIGUSR2),
    ("STOP", libc::SIGSTOP),
    ("CONT", libc::SIGCONT),
    ("ALRM", libc::SIGALRM),
];

impl Signal {
    /// The signal's number.
    ///
    /// # Errors
    ///
    /// An `InvalidInput` failure for an unknown name or a number outside `1..=64`.
    pub fn number(&self) -> Result<i32, Failure> {
        let found = match self {
            Signal::Named(name) => {
                let bare = name.strip_prefix("SIG").unwrap_or(name);
                NAMES.iter().find(|(n, _)| *n == bare).map(|&(_, s)| s)
            }
            Signal::Number(n) => Some(*n).filter(|n| (1..=64).contains(n)),
        };
        found.ok_or_else(|| {
            Failure::new(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown signal {self:?}"),
            ))
        })
    }

    /// The signal's short name (`"KILL"`) if it has one here, else its number.
    pub fn name_of(number: i32) -> String {
        NAMES
            .iter()
            .find(|&&(_, s)| s == number)
            .map_or_else(|| number.to_string(), |(n, _)| format!("SIG{n}"))
    }
}
