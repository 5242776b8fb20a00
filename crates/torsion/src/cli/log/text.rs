//! Twisted's text line: `2026-11-24T10:00:00+0000 [reverse#info] message key=value`.

use std::fmt::Write;

use chrono::{DateTime, Datelike, FixedOffset, Timelike};

use super::level;
use super::record::{FieldValue, Record};

/// The whole text line for `record` logged at `at`, ending with `\n`. Every line of a
/// multi-line message (or field) starts with the same `timestamp [system#level]` prefix,
/// so no line of the log is ever without one.
pub(super) fn format_text(at: &DateTime<FixedOffset>, system: &str, record: &Record) -> String {
    let mut line = String::with_capacity(160);
    push_timestamp(&mut line, at);
    line.push_str(" [");
    line.push_str(system);
    line.push('#');
    line.push_str(level::twisted_name(record.level));
    line.push(']');
    let prefix_len = line.len();
    line.push(' ');
    push_body(&mut line, record);
    if line.len() == prefix_len + 1 {
        line.pop();
    }
    if line[prefix_len..].contains('\n') {
        return prefix_every_line(&line[..prefix_len], &line[prefix_len + 1..]);
    }
    line.push('\n');
    line
}

/// `prefix body-line` for each line of `body` (just `prefix` for an empty one).
fn prefix_every_line(prefix: &str, body: &str) -> String {
    let mut lines = String::with_capacity(body.len() + 4 * (prefix.len() + 2));
    for part in body.split('\n') {
        lines.push_str(prefix);
        if !part.is_empty() {
            lines.push(' ');
            lines.push_str(part);
        }
        lines.push('\n');
    }
    lines
}

/// `%Y-%m-%dT%H:%M:%S%z`, written field by field (chrono's `format` reads its pattern
/// again for every event, a sixth of the time of a whole event).
fn push_timestamp(line: &mut String, at: &DateTime<FixedOffset>) {
    let offset = at.offset().local_minus_utc();
    let sign = if offset < 0 { '-' } else { '+' };
    let offset_minutes = offset.unsigned_abs() / 60;
    // Writing to a String cannot fail.
    let _ = write!(
        line,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}{:02}",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        offset_minutes / 60,
        offset_minutes % 60
    );
}

/// The message, then every field as ` key=value`.
pub(super) fn text_body(record: &Record) -> String {
    let mut body = String::with_capacity(record.message.len() + 64);
    push_body(&mut body, record);
    body
}

fn push_body(line: &mut String, record: &Record) {
    let start = line.len();
    line.push_str(&record.message);
    for (name, value) in record.fields.iter() {
        if line.len() > start && !line.ends_with('\n') {
            line.push(' ');
        }
        line.push_str(name);
        line.push('=');
        match value {
            FieldValue::Str(text) => push_string(line, text),
            other => line.push_str(&other.plain()),
        }
    }
}

/// A string field: as is when it reads as one word, else quoted with Rust's escapes
/// (`\"`, `\\`, `\n`, `\u{1b}`).
fn push_string(line: &mut String, text: &str) {
    let needs_quotes = text.is_empty()
        || text
            .chars()
            .any(|c| c == '"' || c == '\\' || c.is_whitespace() || c.is_control());
    if needs_quotes {
        // Writing to a String cannot fail.
        let _ = write!(line, "{text:?}");
    } else {
        line.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::log::record::Fields;
    use crate::cli::log::test_strings::tricky;
    use proptest::prelude::*;
    use tracing::Level;

    fn pinned() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-24T10:00:00+00:00").unwrap()
    }

    fn record(level: Level, message: &str, fields: &[(&'static str, FieldValue)]) -> Record {
        let mut all = Fields::default();
        for (name, value) in fields {
            all.set(name, value.clone());
        }
        Record {
            level,
            target: "torsion::test",
            message: message.to_owned(),
            fields: all,
        }
    }

    #[test]
    fn a_line_has_twisteds_shape() {
        let event = record(
            Level::INFO,
            "message",
            &[
                ("key", FieldValue::Str("value".into())),
                ("key2", FieldValue::Str("quoted if it has spaces".into())),
                ("n", FieldValue::U64(5)),
                ("ok", FieldValue::Bool(false)),
                ("ratio", FieldValue::F64(0.5)),
                ("peer", FieldValue::Formatted("127.0.0.1:5000".into())),
            ],
        );
        assert_eq!(
            format_text(&pinned(), "reverse", &event),
            "2026-11-24T10:00:00+0000 [reverse#info] message key=value \
             key2=\"quoted if it has spaces\" n=5 ok=false ratio=0.5 peer=127.0.0.1:5000\n"
        );
    }

    #[test]
    fn the_offset_is_numeric_and_local() {
        let at = DateTime::parse_from_rfc3339("2026-11-24T11:30:05+01:30").unwrap();
        let line = format_text(&at, "s", &record(Level::WARN, "w", &[]));
        assert_eq!(line, "2026-11-24T11:30:05+0130 [s#warn] w\n");
    }

    #[test]
    fn levels_use_twisteds_names() {
        for (level, name) in [
            (Level::TRACE, "debug"),
            (Level::DEBUG, "debug"),
            (Level::INFO, "info"),
            (Level::WARN, "warn"),
            (Level::ERROR, "error"),
        ] {
            let line = format_text(&pinned(), "s", &record(level, "m", &[]));
            assert!(line.contains(&format!("[s#{name}] m")), "{line}");
        }
    }

    #[test]
    fn strings_are_quoted_only_when_needed() {
        let event = record(
            Level::INFO,
            "",
            &[
                ("empty", FieldValue::Str(String::new())),
                ("quote", FieldValue::Str("say \"hi\"".into())),
                ("tab", FieldValue::Str("a\tb".into())),
                ("word", FieldValue::Str("plain".into())),
            ],
        );
        assert_eq!(
            format_text(&pinned(), "s", &event),
            "2026-11-24T10:00:00+0000 [s#info] empty=\"\" quote=\"say \\\"hi\\\"\" \
             tab=\"a\\tb\" word=plain\n"
        );
    }

    #[test]
    fn every_line_of_a_message_gets_the_prefix() {
        let event = record(
            Level::ERROR,
            "first\nsecond\n",
            &[("k", FieldValue::I64(1))],
        );
        assert_eq!(
            format_text(&pinned(), "s", &event),
            "2026-11-24T10:00:00+0000 [s#error] first\n\
             2026-11-24T10:00:00+0000 [s#error] second\n\
             2026-11-24T10:00:00+0000 [s#error] k=1\n"
        );
    }

    #[test]
    fn a_string_field_never_breaks_the_line() {
        let event = record(
            Level::INFO,
            "m",
            &[("k", FieldValue::Str("a\nb\r\u{1b}".into()))],
        );
        assert_eq!(
            format_text(&pinned(), "s", &event),
            "2026-11-24T10:00:00+0000 [s#info] m k=\"a\\nb\\r\\u{1b}\"\n"
        );
    }

    proptest! {
        #[test]
        fn the_timestamp_is_chronos_pattern(
            seconds in 0_i64..4_102_444_800,
            offset_minutes in -(24 * 60 - 1)..(24 * 60 - 1),
        ) {
            let offset = FixedOffset::east_opt(offset_minutes * 60).unwrap();
            let at = DateTime::from_timestamp(seconds, 0).unwrap().with_timezone(&offset);
            let mut line = String::new();
            push_timestamp(&mut line, &at);
            prop_assert_eq!(line, at.format("%Y-%m-%dT%H:%M:%S%z").to_string());
        }

        #[test]
        fn no_line_starts_without_the_prefix(
            message in tricky(),
            text in tricky(),
            formatted in tricky(),
        ) {
            let event = record(
                Level::WARN,
                &message,
                &[("text", FieldValue::Str(text)), ("dbg", FieldValue::Formatted(formatted))],
            );
            let line = format_text(&pinned(), "sys", &event);
            let prefix = "2026-11-24T10:00:00+0000 [sys#warn]";
            prop_assert!(line.ends_with('\n'));
            for part in line[..line.len() - 1].split('\n') {
                prop_assert!(part.starts_with(prefix), "{:?} in {:?}", part, line);
            }
        }
    }
}
