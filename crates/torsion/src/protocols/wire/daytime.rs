//! [`Daytime`]: the Daytime service (RFC 867).

use crate::{Cx, Protocol};

/// Writes the current date and time in UTC as one line, then closes the connection once
/// it is sent (RFC 867; Twisted's `wire.Daytime`).
///
/// The line is in C's `asctime` form, as Twisted sends it: `Mon Nov 30 18:25:07 2026`,
/// then `\r\n` (the day of the month is padded with a space: `Sun Nov  1 ...`). The time
/// is read from the connection's clock ([`Cx::seconds`]): the wall clock under a real
/// reactor, the fake clock in tests.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use torsion::protocols::wire::Daytime;
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
/// use torsion::ReactorTime;
///
/// let clock = Clock::new();
/// clock.advance(Duration::from_secs(1_000_000_000));
/// let st = StringTransport::new();
/// ProtocolHarness::connect(Daytime, &st, &clock)?;
/// assert_eq!(st.value_str(), "Sun Sep  9 01:46:40 2001\r\n");
/// assert!(st.disconnecting());
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Daytime;

impl Protocol for Daytime {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let line = asctime(cx.seconds().floor() as i64);
        cx.transport().write_sequence([line.as_bytes(), b"\r\n"]);
        cx.transport().lose_connection();
    }
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `secs` since the Unix epoch, in UTC, as `asctime` writes it (without the newline).
fn asctime(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let in_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS[(days + 4).rem_euclid(7) as usize];
    format!(
        "{weekday} {} {day:>2} {:02}:{:02}:{:02} {year}",
        MONTHS[month as usize - 1],
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}

/// The proleptic Gregorian (year, month 1..=12, day 1..=31) of a count of days since
/// 1970-01-01: the calendar repeats every 400 years (146,097 days), counted here in eras
/// that start on March 1st so the leap day ends a year.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Clock, ProtocolHarness, StringTransport};
    use std::time::Duration;

    #[test]
    fn formats_known_instants_as_asctime_does() {
        assert_eq!(asctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(asctime(951_782_400), "Tue Feb 29 00:00:00 2000");
        assert_eq!(asctime(1_796_063_107), "Mon Nov 30 18:25:07 2026");
        assert_eq!(asctime(4_107_542_399), "Sun Feb 28 23:59:59 2100");
        assert_eq!(asctime(4_107_542_400), "Mon Mar  1 00:00:00 2100");
        assert_eq!(asctime(-1), "Wed Dec 31 23:59:59 1969");
    }

    fn days_in_month(year: i64, month: u32) -> u32 {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    #[test]
    fn every_day_follows_the_one_before() {
        let (mut year, mut month, mut day) = civil_from_days(-800_000);
        for days in -799_999..800_000 {
            let expected = if day < days_in_month(year, month) {
                (year, month, day + 1)
            } else if month == 12 {
                (year + 1, 1, 1)
            } else {
                (year, month + 1, 1)
            };
            let next = civil_from_days(days);
            assert_eq!(next, expected, "day {days}");
            (year, month, day) = next;
        }
    }

    #[test]
    fn writes_the_clock_time_then_closes() {
        let clock = Clock::new();
        clock.advance(Duration::from_millis(1_796_063_107_900));
        let st = StringTransport::new();
        ProtocolHarness::connect(Daytime, &st, &clock).unwrap();
        assert_eq!(st.value_str(), "Mon Nov 30 18:25:07 2026\r\n");
        assert!(st.disconnecting());
        assert!(!st.aborted());
    }
}
