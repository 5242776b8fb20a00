//! The `tracing` layer that hands every event (with the fields of its spans) to a
//! [`LogOutput`].

use tracing::span::{Attributes, Id, Record as SpanValues};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::record::{Fields, Record};
use super::LogOutput;

/// Writes each event to its output; keeps each span's fields (in the span's extensions)
/// so events inside it carry them too.
#[derive(Debug)]
pub(super) struct OutputLayer {
    output: LogOutput,
}

impl OutputLayer {
    pub(super) fn new(output: LogOutput) -> OutputLayer {
        OutputLayer { output }
    }
}

impl<S> Layer<S> for OutputLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        span.extensions_mut().insert(fields);
    }

    fn on_record(&self, id: &Id, values: &SpanValues<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(fields) = extensions.get_mut::<Fields>() {
            values.record(fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut record = Record::from_event(event);
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope {
                if let Some(fields) = span.extensions().get::<Fields>() {
                    record.add_span_fields(fields);
                }
            }
        }
        self.output.write(&record);
    }
}
