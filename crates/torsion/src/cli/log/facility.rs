//! Syslog facilities (RFC 3164 section 4.1.1): which part of the system a message is from.

use std::fmt;
use std::str::FromStr;

/// The syslog facility of every message sent to a [`LogDestination::Syslog`]
/// (Twisted's `syslog` plugin option `--facility`).
///
/// [`LogDestination::Syslog`]: super::LogDestination::Syslog
///
/// # Examples
///
/// ```
/// use torsion::cli::log::Facility;
///
/// assert_eq!("daemon".parse::<Facility>().unwrap(), Facility::Daemon);
/// assert_eq!(Facility::Local3.code(), 19);
/// assert_eq!(Facility::Local3.to_string(), "local3");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[allow(missing_docs)] // The variants are the standard facility names.
pub enum Facility {
    Kern,
    #[default]
    User,
    Mail,
    Daemon,
    Auth,
    Syslog,
    Lpr,
    News,
    Uucp,
    Cron,
    Authpriv,
    Ftp,
    Local0,
    Local1,
    Local2,
    Local3,
    Local4,
    Local5,
    Local6,
    Local7,
}

/// Every facility with its name and code, in code order.
const FACILITIES: [(Facility, &str, u8); 20] = [
    (Facility::Kern, "kern", 0),
    (Facility::User, "user", 1),
    (Facility::Mail, "mail", 2),
    (Facility::Daemon, "daemon", 3),
    (Facility::Auth, "auth", 4),
    (Facility::Syslog, "syslog", 5),
    (Facility::Lpr, "lpr", 6),
    (Facility::News, "news", 7),
    (Facility::Uucp, "uucp", 8),
    (Facility::Cron, "cron", 9),
    (Facility::Authpriv, "authpriv", 10),
    (Facility::Ftp, "ftp", 11),
    (Facility::Local0, "local0", 16),
    (Facility::Local1, "local1", 17),
    (Facility::Local2, "local2", 18),
    (Facility::Local3, "local3", 19),
    (Facility::Local4, "local4", 20),
    (Facility::Local5, "local5", 21),
    (Facility::Local6, "local6", 22),
    (Facility::Local7, "local7", 23),
];

impl Facility {
    /// The facility's number: a message's priority is `code * 8 + severity`.
    pub fn code(self) -> u8 {
        self.entry().2
    }

    fn entry(self) -> (Facility, &'static str, u8) {
        FACILITIES
            .into_iter()
            .find(|entry| entry.0 == self)
            .expect("every facility is in the table")
    }
}

impl fmt::Display for Facility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.entry().1)
    }
}

impl FromStr for Facility {
    type Err = ParseFacilityError;

    /// Reads a facility's lowercase name (`user`, `daemon`, `local0` … `local7`, …).
    ///
    /// # Errors
    ///
    /// [`ParseFacilityError`] for a name that is not a facility.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        FACILITIES
            .into_iter()
            .find(|entry| entry.1 == name)
            .map(|entry| entry.0)
            .ok_or_else(|| ParseFacilityError {
                input: name.to_owned(),
            })
    }
}

/// A name that is not a syslog facility.
///
/// # Examples
///
/// ```
/// use torsion::cli::log::Facility;
///
/// let err = "local8".parse::<Facility>().unwrap_err();
/// assert_eq!(err.to_string(), r#"unknown syslog facility "local8""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFacilityError {
    input: String,
}

impl fmt::Display for ParseFacilityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown syslog facility {:?}", self.input)
    }
}

impl std::error::Error for ParseFacilityError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_standard_ones() {
        assert_eq!(Facility::Kern.code(), 0);
        assert_eq!(Facility::User.code(), 1);
        assert_eq!(Facility::Daemon.code(), 3);
        assert_eq!(Facility::Local0.code(), 16);
        assert_eq!(Facility::Local7.code(), 23);
    }

    #[test]
    fn every_name_round_trips() {
        for (facility, name, _) in FACILITIES {
            assert_eq!(name.parse::<Facility>(), Ok(facility));
            assert_eq!(facility.to_string(), name);
        }
        assert!("Local0".parse::<Facility>().is_err());
    }
}
