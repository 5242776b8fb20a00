//! tracing's levels seen as Twisted's log levels and as syslog severities.

use tracing::Level;

/// Twisted's name of the level: `debug`, `info`, `warn` or `error` (Twisted has no trace
/// level, so TRACE is `debug` too).
pub(super) fn twisted_name(level: Level) -> &'static str {
    match level {
        Level::TRACE | Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// The syslog severity (RFC 3164 section 4.1.1): error 3, warning 4, informational 6,
/// debug 7.
pub(super) fn syslog_severity(level: Level) -> u8 {
    match level {
        Level::TRACE | Level::DEBUG => 7,
        Level::INFO => 6,
        Level::WARN => 4,
        Level::ERROR => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_and_debug_are_both_debug() {
        assert_eq!(twisted_name(Level::TRACE), "debug");
        assert_eq!(twisted_name(Level::DEBUG), "debug");
        assert_eq!(syslog_severity(Level::TRACE), 7);
    }

    #[test]
    fn severities_grow_with_verbosity() {
        assert_eq!(syslog_severity(Level::ERROR), 3);
        assert_eq!(syslog_severity(Level::WARN), 4);
        assert_eq!(syslog_severity(Level::INFO), 6);
        assert_eq!(twisted_name(Level::WARN), "warn");
    }
}
