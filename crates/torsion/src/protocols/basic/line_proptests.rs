//! Property tests of `LineProtocol`: the callbacks depend only on the bytes received, not
//! on how reads cut them.

use proptest::collection::vec;
use proptest::prelude::*;

use super::{LineCx, LineProtocol, LineReceiver};
use crate::testing::{Clock, ProtocolHarness, StringTransport};

/// A callback, as far as it is determined by the bytes alone.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Line(Vec<u8>),
    Raw(Vec<u8>),
    /// The first `MAX_LENGTH + 1` bytes given to `line_length_exceeded` (the rest depends on
    /// what was buffered).
    Exceeded(Vec<u8>),
}

/// Switches to raw mode on `RAW`, back to lines after a `|` in raw data; switches the
/// delimiter on `NL` and `CRLF`; closes on `quit` and on an over-long line.
#[derive(Default)]
struct Switcher(Vec<Event>);

impl LineReceiver for Switcher {
    const MAX_LENGTH: usize = 8;

    fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        self.0.push(Event::Line(line.to_vec()));
        match line.strip_suffix(b"\r").unwrap_or(line) {
            b"RAW" => cx.set_raw_mode(),
            b"NL" => cx.set_delimiter(b"\n"),
            b"CRLF" => cx.set_delimiter(b"\r\n"),
            b"quit" => cx.transport().lose_connection(),
            _ => {}
        }
    }

    fn raw_data_received(&mut self, cx: &mut LineCx<'_, Self>, data: &[u8]) {
        match data.iter().position(|&b| b == b'|') {
            Some(at) => {
                self.push_raw(&data[..at]);
                cx.set_line_mode(&data[at + 1..]);
            }
            None => self.push_raw(data),
        }
    }

    fn line_length_exceeded(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        let kept = line.len().min(Self::MAX_LENGTH + 1);
        self.0.push(Event::Exceeded(line[..kept].to_vec()));
        cx.transport().lose_connection();
    }
}

impl Switcher {
    /// Records raw bytes, joined with the raw bytes just before (raw chunks follow reads).
    fn push_raw(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        match self.0.last_mut() {
            Some(Event::Raw(before)) => before.extend_from_slice(data),
            _ => self.0.push(Event::Raw(data.to_vec())),
        }
    }
}

/// Lines of a three-byte delimiter whose bytes repeat, with no length limit.
#[derive(Default)]
struct Overlapping(Vec<Vec<u8>>);

impl LineReceiver for Overlapping {
    const DELIMITER: &'static [u8] = b"aab";
    const MAX_LENGTH: usize = usize::MAX;

    fn line_received(&mut self, _cx: &mut LineCx<'_, Self>, line: &[u8]) {
        self.0.push(line.to_vec());
    }
}

/// Feeds `input` to `user` cut at `cuts` (indexes, in any order); returns what `seen`
/// reads from the user after.
fn feed<T: LineReceiver, R>(user: T, input: &[u8], cuts: &[usize], seen: fn(&T) -> R) -> R {
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(LineProtocol::new(user), &st, &Clock::new()).unwrap();
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    let mut start = 0;
    for cut in cuts.into_iter().chain([input.len()]) {
        h.data_received(&input[start..cut]).unwrap();
        start = cut;
    }
    let protocol = h.protocol();
    seen(protocol.user())
}

/// Pieces that hit the rules: delimiters whole and in halves, mode and delimiter
/// switches, the `|` back to lines, a close, lines longer than 8 bytes.
fn switcher_input() -> impl Strategy<Value = Vec<u8>> {
    let pieces: Vec<&'static [u8]> = vec![
        b"a",
        b"bc",
        b"\r",
        b"\n",
        b"\r\n",
        b"RAW\r\n",
        b"|",
        b"NL\r\n",
        b"NL\n",
        b"CRLF\n",
        b"CRLF\r\n",
        b"quit\r\n",
        b"123456789",
        b"12345678",
    ];
    vec(prop::sample::select(pieces), 0..16).prop_map(|parts| parts.concat())
}

/// Splits at the first `delimiter` again and again: what a line receiver must deliver.
fn reference_lines(input: &[u8], delimiter: &[u8]) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut rest = input;
    while let Some(at) = rest.windows(delimiter.len()).position(|w| w == delimiter) {
        lines.push(rest[..at].to_vec());
        rest = &rest[at + delimiter.len()..];
    }
    lines
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn callbacks_do_not_depend_on_how_reads_cut_the_bytes(
        input in switcher_input(),
        cuts in vec(any::<usize>(), 0..8),
    ) {
        let whole = feed(Switcher::default(), &input, &[], |u| u.0.clone());
        let cut = feed(Switcher::default(), &input, &cuts, |u| u.0.clone());
        prop_assert_eq!(cut, whole);
    }

    #[test]
    fn an_overlapping_delimiter_splits_as_a_plain_search_does(
        input in vec(prop::sample::select(vec![b'a', b'b', b'x']), 0..48),
        cuts in vec(any::<usize>(), 0..8),
    ) {
        let cut = feed(Overlapping::default(), &input, &cuts, |u| u.0.clone());
        prop_assert_eq!(cut, reference_lines(&input, b"aab"));
    }
}
