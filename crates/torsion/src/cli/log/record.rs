//! One event as the formatters see it: level, target, message and the other fields,
//! collected from a `tracing` event (and the spans it is in).

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::Level;

/// A field's value, kept typed so JSON can write numbers and booleans as such.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum FieldValue {
    /// Recorded as a string (`key = "…"`): quoted in text when it needs to be.
    Str(String),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
    /// Recorded through `Debug` or `Display` (`?value`, `%value`): written as formatted.
    Formatted(String),
}

/// The fields of a span (or of an event besides its message), in the order recorded.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Fields {
    pairs: Vec<(&'static str, FieldValue)>,
}

impl Fields {
    /// Adds `name = value`; a name recorded again (`span.record`) replaces its value.
    pub(super) fn set(&mut self, name: &'static str, value: FieldValue) {
        match self.pairs.iter_mut().find(|(key, _)| *key == name) {
            Some(pair) => pair.1 = value,
            None => self.pairs.push((name, value)),
        }
    }

    /// The pairs, in the order first recorded.
    pub(super) fn iter(&self) -> impl Iterator<Item = &(&'static str, FieldValue)> {
        self.pairs.iter()
    }

    fn contains(&self, name: &str) -> bool {
        self.pairs.iter().any(|(key, _)| *key == name)
    }

    /// Removes the field called `name` and returns its value.
    fn take(&mut self, name: &str) -> Option<FieldValue> {
        let index = self.pairs.iter().position(|(key, _)| *key == name)?;
        Some(self.pairs.remove(index).1)
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.set(field.name(), FieldValue::Str(value.to_owned()));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.set(field.name(), FieldValue::I64(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.set(field.name(), FieldValue::U64(value));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        match i64::try_from(value) {
            Ok(small) => self.record_i64(field, small),
            Err(_) => self.set(field.name(), FieldValue::Formatted(value.to_string())),
        }
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        match u64::try_from(value) {
            Ok(small) => self.record_u64(field, small),
            Err(_) => self.set(field.name(), FieldValue::Formatted(value.to_string())),
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.set(field.name(), FieldValue::F64(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.set(field.name(), FieldValue::Bool(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.set(field.name(), FieldValue::Formatted(format!("{value:?}")));
    }
}

/// One event, ready to format.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Record {
    pub(super) level: Level,
    pub(super) target: &'static str,
    pub(super) message: String,
    pub(super) fields: Fields,
}

impl Record {
    /// Collects the fields of `event`; its `message` field becomes the message (as
    /// written, whether recorded as a string or through `format_args!`).
    pub(super) fn from_event(event: &tracing::Event<'_>) -> Record {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let message = match fields.take("message") {
            Some(FieldValue::Str(text) | FieldValue::Formatted(text)) => text,
            Some(other) => other.plain(),
            None => String::new(),
        };
        Record {
            level: *event.metadata().level(),
            target: event.metadata().target(),
            message,
            fields,
        }
    }

    /// Appends the fields of a span the event is in, except those whose name the event
    /// (or an inner span) already has: the innermost value wins.
    pub(super) fn add_span_fields(&mut self, span: &Fields) {
        for (name, value) in span.iter() {
            if !self.fields.contains(name) {
                self.fields.pairs.push((name, value.clone()));
            }
        }
    }
}

impl FieldValue {
    /// The value without quotes, as `tracing`'s own formatter writes it: numbers and
    /// booleans as Rust prints them, a float through `Debug` (`1.0`, `NaN`).
    pub(super) fn plain(&self) -> String {
        match self {
            FieldValue::Str(text) | FieldValue::Formatted(text) => text.clone(),
            FieldValue::I64(number) => number.to_string(),
            FieldValue::U64(number) => number.to_string(),
            FieldValue::F64(number) => format!("{number:?}"),
            FieldValue::Bool(flag) => flag.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_recorded_again_keeps_its_place() {
        let mut fields = Fields::default();
        fields.set("a", FieldValue::I64(1));
        fields.set("b", FieldValue::I64(2));
        fields.set("a", FieldValue::I64(3));
        let pairs: Vec<_> = fields.iter().cloned().collect();
        assert_eq!(
            pairs,
            vec![("a", FieldValue::I64(3)), ("b", FieldValue::I64(2))]
        );
    }

    #[test]
    fn span_fields_never_shadow_the_event_ones() {
        let mut record = Record {
            level: Level::INFO,
            target: "t",
            message: String::new(),
            fields: Fields::default(),
        };
        record.fields.set("peer", FieldValue::Str("event".into()));
        let mut span = Fields::default();
        span.set("peer", FieldValue::Str("span".into()));
        span.set("conn", FieldValue::U64(7));
        record.add_span_fields(&span);
        let pairs: Vec<_> = record.fields.iter().cloned().collect();
        assert_eq!(
            pairs,
            vec![
                ("peer", FieldValue::Str("event".into())),
                ("conn", FieldValue::U64(7))
            ]
        );
    }

    #[test]
    fn plain_values_look_like_tracing_ones() {
        assert_eq!(FieldValue::F64(1.0).plain(), "1.0");
        assert_eq!(FieldValue::I64(-3).plain(), "-3");
        assert_eq!(FieldValue::Bool(true).plain(), "true");
    }
}
