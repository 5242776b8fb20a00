//! One JSON object per event: `{"time": …, "level": …, "system": …, "target": …,
//! "message": …, "fields": {…}}`.

use std::io::Write;

use chrono::{DateTime, FixedOffset, SecondsFormat};

use super::level;
use super::record::{FieldValue, Record};

/// The JSON line for `record` logged at `at`, ending with `\n`. The time is RFC 3339 with
/// milliseconds and the local offset; numbers and booleans stay JSON numbers and booleans,
/// a float that JSON cannot hold (`NaN`, `inf`) and every `Debug`/`Display` value are
/// strings. The keys come in the order above, `fields` in the order recorded (the object
/// is written piece by piece, not built as a map); serde_json escapes every string.
pub(super) fn format_json(at: &DateTime<FixedOffset>, system: &str, record: &Record) -> Vec<u8> {
    let mut line = Vec::with_capacity(256);
    line.extend_from_slice(b"{\"time\":\"");
    // RFC 3339 has nothing JSON would escape.
    line.extend_from_slice(at.to_rfc3339_opts(SecondsFormat::Millis, false).as_bytes());
    line.extend_from_slice(b"\",\"level\":\"");
    line.extend_from_slice(level::twisted_name(record.level).as_bytes());
    line.extend_from_slice(b"\",\"system\":");
    push_string(&mut line, system);
    line.extend_from_slice(b",\"target\":");
    push_string(&mut line, record.target);
    line.extend_from_slice(b",\"message\":");
    push_string(&mut line, &record.message);
    line.extend_from_slice(b",\"fields\":{");
    for (index, (name, value)) in record.fields.iter().enumerate() {
        if index > 0 {
            line.push(b',');
        }
        push_string(&mut line, name);
        line.push(b':');
        push_value(&mut line, value);
    }
    line.extend_from_slice(b"}}\n");
    line
}

/// `text` as a JSON string, quoted and escaped by serde_json.
fn push_string(line: &mut Vec<u8>, text: &str) {
    // Serializing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *line, text);
}

fn push_value(line: &mut Vec<u8>, value: &FieldValue) {
    // Writing into a Vec cannot fail.
    let _ = match value {
        FieldValue::Str(text) | FieldValue::Formatted(text) => {
            push_string(line, text);
            Ok(())
        }
        FieldValue::I64(number) => write!(line, "{number}"),
        FieldValue::U64(number) => write!(line, "{number}"),
        FieldValue::Bool(flag) => write!(line, "{flag}"),
        FieldValue::F64(number) if number.is_finite() => {
            serde_json::to_writer(&mut *line, number).map_err(std::io::Error::from)
        }
        FieldValue::F64(_) => {
            push_string(line, &value.plain());
            Ok(())
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::log::record::Fields;
    use crate::cli::log::test_strings::tricky;
    use proptest::prelude::*;
    use serde_json::{json, Value};
    use tracing::Level;

    fn pinned() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-24T10:00:00.123+00:00").unwrap()
    }

    fn record(message: &str, fields: &[(&'static str, FieldValue)]) -> Record {
        let mut all = Fields::default();
        for (name, value) in fields {
            all.set(name, value.clone());
        }
        Record {
            level: Level::INFO,
            target: "torsion::application::server_service",
            message: message.to_owned(),
            fields: all,
        }
    }

    #[test]
    fn a_line_has_the_documented_shape() {
        let event = record(
            "listening",
            &[
                ("peer", FieldValue::Formatted("127.0.0.1:5000".into())),
                ("port", FieldValue::U64(5000)),
                ("delta", FieldValue::I64(-2)),
                ("tls", FieldValue::Bool(true)),
                ("load", FieldValue::F64(0.25)),
                ("bad", FieldValue::F64(f64::NAN)),
            ],
        );
        assert_eq!(
            String::from_utf8(format_json(&pinned(), "reverse", &event)).unwrap(),
            "{\"time\":\"2026-11-24T10:00:00.123+00:00\",\"level\":\"info\",\
             \"system\":\"reverse\",\"target\":\"torsion::application::server_service\",\
             \"message\":\"listening\",\"fields\":{\"peer\":\"127.0.0.1:5000\",\"port\":5000,\
             \"delta\":-2,\"tls\":true,\"load\":0.25,\"bad\":\"NaN\"}}\n"
        );
    }

    #[test]
    fn the_time_keeps_the_local_offset() {
        let at = DateTime::parse_from_rfc3339("2026-11-24T11:30:05.007-05:00").unwrap();
        let line = format_json(&at, "s", &record("m", &[]));
        let parsed: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(parsed["time"], "2026-11-24T11:30:05.007-05:00");
    }

    #[test]
    fn quotes_newlines_and_control_characters_are_escaped() {
        let message = "say \"hi\"\nthen \u{1}\u{7f} and \\ \u{2028}";
        let event = record(message, &[("k", FieldValue::Str("tab\there\r\n".into()))]);
        let line = String::from_utf8(format_json(&pinned(), "s", &event)).unwrap();
        assert_eq!(line.matches('\n').count(), 1);
        assert!(line.ends_with("}\n"));
        assert!(!line.contains('\u{1}'));
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["message"], message);
        assert_eq!(parsed["fields"], json!({"k": "tab\there\r\n"}));
    }

    proptest! {
        #[test]
        fn any_message_and_field_round_trip(
            message in tricky(),
            text in tricky(),
            formatted in tricky(),
            system in tricky(),
            signed in any::<i64>(),
            unsigned in any::<u64>(),
            flag in any::<bool>(),
        ) {
            let event = record(
                &message,
                &[
                    ("text", FieldValue::Str(text.clone())),
                    ("dbg", FieldValue::Formatted(formatted.clone())),
                    ("signed", FieldValue::I64(signed)),
                    ("unsigned", FieldValue::U64(unsigned)),
                    ("flag", FieldValue::Bool(flag)),
                ],
            );
            let line = String::from_utf8(format_json(&pinned(), &system, &event)).unwrap();
            prop_assert_eq!(line.matches('\n').count(), 1);
            let parsed: Value = serde_json::from_str(&line).unwrap();
            prop_assert_eq!(&parsed["message"], &Value::from(message));
            prop_assert_eq!(&parsed["system"], &Value::from(system));
            prop_assert_eq!(
                &parsed["fields"],
                &json!({
                    "text": text,
                    "dbg": formatted,
                    "signed": signed,
                    "unsigned": unsigned,
                    "flag": flag,
                })
            );
        }
    }
}
