//! How each event is written: Twisted's text line or one JSON object.

use std::fmt;
use std::str::FromStr;

/// How each event is written (the `--log-format` option of `twist`).
///
/// # Examples
///
/// ```
/// use torsion::cli::log::LogFormat;
///
/// assert_eq!("json".parse::<LogFormat>().unwrap(), LogFormat::Json);
/// assert_eq!(LogFormat::Text.to_string(), "text");
/// assert!("xml".parse::<LogFormat>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Twisted's classic line: `2026-11-24T10:00:00+0000 [reverse#info] message key=value`.
    #[default]
    Text,
    /// One JSON object per line with `time`, `level`, `system`, `target`, `message` and
    /// `fields`.
    Json,
}

impl LogFormat {
    /// The name accepted by [`FromStr`] and written by [`Display`](fmt::Display).
    fn name(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LogFormat {
    type Err = ParseLogFormatError;

    /// Reads `text` or `json` (exact, lowercase).
    ///
    /// # Errors
    ///
    /// [`ParseLogFormatError`] for any other name.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        [LogFormat::Text, LogFormat::Json]
            .into_iter()
            .find(|format| format.name() == name)
            .ok_or_else(|| ParseLogFormatError {
                input: name.to_owned(),
            })
    }
}

/// A log format name that is neither `text` nor `json`.
///
/// # Examples
///
/// ```
/// use torsion::cli::log::LogFormat;
///
/// let err = "xml".parse::<LogFormat>().unwrap_err();
/// assert_eq!(err.to_string(), r#"unknown log format "xml" (expected "text" or "json")"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseLogFormatError {
    input: String,
}

impl fmt::Display for ParseLogFormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown log format {:?} (expected \"text\" or \"json\")",
            self.input
        )
    }
}

impl std::error::Error for ParseLogFormatError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for format in [LogFormat::Text, LogFormat::Json] {
            assert_eq!(format.to_string().parse::<LogFormat>(), Ok(format));
        }
    }

    #[test]
    fn other_names_are_refused() {
        for name in ["", "Text", "JSON", "xml", "text "] {
            assert!(name.parse::<LogFormat>().is_err(), "{name:?}");
        }
    }
}
