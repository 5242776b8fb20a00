//! [`Time`]: the Time service (RFC 868).

use crate::{Cx, Protocol};

/// Sends the current time as RFC 868 asks, four bytes, then closes the connection once
/// they are sent.
///
/// The four bytes are the seconds since 1900-01-01 00:00 UTC, big-endian, modulo 2³² (the
/// count wraps in February 2036, as the RFC's does). Twisted's `wire.Time` sends the
/// seconds since 1970 instead; this one follows the RFC, so `rdate -p` reads it. The time
/// comes from the connection's clock ([`Cx::seconds`]).
///
/// # Examples
///
/// ```
/// use torsion::protocols::wire::Time;
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
///
/// // The fake clock starts at the Unix epoch: 2,208,988,800 s after 1900.
/// let st = StringTransport::new();
/// ProtocolHarness::connect(Time, &st, &Clock::new())?;
/// assert_eq!(st.value(), 2_208_988_800u32.to_be_bytes());
/// assert!(st.disconnecting());
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Time;

/// Seconds from 1900-01-01 to 1970-01-01.
const FROM_1900_TO_UNIX_EPOCH: i64 = 2_208_988_800;

impl Protocol for Time {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(rfc868(cx.seconds()));
        cx.transport().lose_connection();
    }
}

/// `unix_seconds` as RFC 868's four bytes.
fn rfc868(unix_seconds: f64) -> [u8; 4] {
    let since_1900 = unix_seconds.floor() as i64 + FROM_1900_TO_UNIX_EPOCH;
    (since_1900.rem_euclid(1 << 32) as u32).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Clock, ProtocolHarness, StringTransport};
    use std::time::Duration;

    #[test]
    fn counts_from_1900_and_wraps_in_2036() {
        assert_eq!(rfc868(0.0), 2_208_988_800u32.to_be_bytes());
        assert_eq!(rfc868(-2_208_988_800.0), [0, 0, 0, 0]);
        // 2036-02-07 06:28:16 UTC is 2^32 seconds after 1900: the count starts again.
        assert_eq!(rfc868(2_085_978_496.0), [0, 0, 0, 0]);
        assert_eq!(rfc868(2_085_978_495.9), [0xff, 0xff, 0xff, 0xff]);
    }

    #[test]
    fn sends_four_bytes_of_the_clock_time_then_closes() {
        let clock = Clock::new();
        clock.advance(Duration::from_secs(1_796_063_107));
        let st = StringTransport::new();
        ProtocolHarness::connect(Time, &st, &clock).unwrap();
        assert_eq!(st.value(), (1_796_063_107u32 + 2_208_988_800).to_be_bytes());
        assert!(st.disconnecting());
        assert!(!st.aborted());
    }
}
