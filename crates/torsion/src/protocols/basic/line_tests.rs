//! Unit tests of `LineProtocol`: the splitting rules, modes, limits, pausing and timers.

use std::time::Duration;

use super::{LineCx, LineOnlyReceiver, LineProtocol, LineReceiver};
use crate::error::ConnectionDone;
use crate::testing::{Clock, ProtocolHarness, StringTransport};
use crate::{Failure, ProtocolHandle};

/// A callback a [`Recorder`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Made,
    Line(Vec<u8>),
    Raw(Vec<u8>),
    Exceeded(Vec<u8>),
    Lost,
}

type Hook = fn(&mut Recorder, &mut LineCx<'_, Recorder>, &[u8]);

/// Records every callback, then runs its hooks.
#[derive(Default)]
struct Recorder {
    events: Vec<Event>,
    on_line: Option<Hook>,
    on_raw: Option<Hook>,
}

impl Recorder {
    fn with_line_hook(hook: Hook) -> Recorder {
        Recorder {
            on_line: Some(hook),
            ..Recorder::default()
        }
    }
}

impl LineReceiver for Recorder {
    fn connection_made(&mut self, _cx: &mut LineCx<'_, Self>) {
        self.events.push(Event::Made);
    }

    fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        self.events.push(Event::Line(line.to_vec()));
        if let Some(hook) = self.on_line {
            hook(self, cx, line);
        }
    }

    fn raw_data_received(&mut self, cx: &mut LineCx<'_, Self>, data: &[u8]) {
        self.events.push(Event::Raw(data.to_vec()));
        if let Some(hook) = self.on_raw {
            hook(self, cx, data);
        }
    }

    fn line_length_exceeded(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        self.events.push(Event::Exceeded(line.to_vec()));
        cx.transport().lose_connection();
    }

    fn connection_lost(&mut self, _cx: &mut LineCx<'_, Self>, _reason: &Failure) {
        self.events.push(Event::Lost);
    }
}

fn line(s: &[u8]) -> Event {
    Event::Line(s.to_vec())
}

fn raw(s: &[u8]) -> Event {
    Event::Raw(s.to_vec())
}

fn connect<T: LineReceiver>(user: T) -> (ProtocolHarness<LineProtocol<T>>, StringTransport, Clock) {
    let st = StringTransport::new();
    let clock = Clock::new();
    let h = ProtocolHarness::connect(LineProtocol::new(user), &st, &clock).unwrap();
    (h, st, clock)
}

fn events(h: &ProtocolHarness<LineProtocol<Recorder>>) -> Vec<Event> {
    h.protocol().user().events[1..].to_vec()
}

#[test]
fn lines_and_delimiters_split_across_reads() {
    let (h, _st, _clock) = connect(Recorder::default());
    for chunk in [&b"abc\r"[..], b"\ndef", b"\r", b"\n\r\nxy\r\nz", b"z"] {
        h.data_received(chunk).unwrap();
    }
    assert_eq!(
        events(&h),
        [line(b"abc"), line(b"def"), line(b""), line(b"xy")]
    );
    h.data_received(b"\r\n").unwrap();
    assert_eq!(events(&h).last(), Some(&line(b"zz")));
}

#[test]
fn many_lines_in_one_read_are_delivered_in_a_loop() {
    let (h, _st, _clock) = connect(Recorder::default());
    h.data_received(&b"x\r\n".repeat(100_000)).unwrap();
    assert_eq!(events(&h).len(), 100_000);
}

#[test]
fn a_lone_newline_stays_inside_the_line() {
    let (h, _st, _clock) = connect(Recorder::default());
    h.data_received(b"GET /\nX: 1\r\n\rY\r\n").unwrap();
    assert_eq!(events(&h), [line(b"GET /\nX: 1"), line(b"\rY")]);
}

#[test]
fn send_line_appends_the_delimiter() {
    struct Echo;
    impl LineReceiver for Echo {
        fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
            cx.send_line(line);
        }
    }
    let (h, st, _clock) = connect(Echo);
    h.data_received(b"one\r\ntwo\r\n").unwrap();
    assert_eq!(st.value(), b"one\r\ntwo\r\n");
}

#[test]
fn raw_mode_takes_effect_on_the_next_byte_of_the_same_read() {
    let (h, _st, _clock) = connect(Recorder::with_line_hook(|_, cx, line| {
        if line == b"RAW" {
            cx.set_raw_mode();
        }
    }));
    h.data_received(b"a\r\nRAW\r\nb\r\nc").unwrap();
    h.data_received(b"d\r\n").unwrap();
    assert_eq!(
        events(&h),
        [line(b"a"), line(b"RAW"), raw(b"b\r\nc"), raw(b"d\r\n")]
    );
}

#[test]
fn set_line_mode_extra_is_read_as_lines_after_the_raw_callback() {
    let mut user = Recorder::with_line_hook(|_, cx, line| {
        if line == b"RAW" {
            cx.set_raw_mode();
        }
    });
    user.on_raw = Some(|_, cx, data| {
        if let Some(at) = data.iter().position(|&b| b == b'|') {
            cx.set_line_mode(&data[at + 1..]);
        }
    });
    let (h, _st, _clock) = connect(user);
    h.data_received(b"RAW\r\nxx|p\r\nq\r\nr").unwrap();
    h.data_received(b"\r\n").unwrap();
    assert_eq!(
        events(&h),
        [
            line(b"RAW"),
            raw(b"xx|p\r\nq\r\nr"),
            line(b"p"),
            line(b"q"),
            line(b"r"),
        ]
    );
}

#[test]
fn set_line_mode_extra_goes_after_what_is_buffered() {
    let (h, _st, _clock) = connect(Recorder::with_line_hook(|_, cx, line| {
        if line == b"a" {
            cx.set_line_mode(b"extra\r\n");
        }
    }));
    h.data_received(b"a\r\nb\r\n").unwrap();
    assert_eq!(events(&h), [line(b"a"), line(b"b"), line(b"extra")]);
}

#[test]
fn clear_line_buffer_returns_the_rest_and_drops_it() {
    let (h, _st, _clock) = connect(Recorder::with_line_hook(|me, cx, line| {
        if line == b"clear" {
            let rest = cx.clear_line_buffer();
            me.events.push(Event::Raw(rest));
            assert!(cx.clear_line_buffer().is_empty());
        }
    }));
    h.data_received(b"a\r\nclear\r\nb\r\nc").unwrap();
    h.data_received(b"d\r\n").unwrap();
    assert_eq!(
        events(&h),
        [line(b"a"), line(b"clear"), raw(b"b\r\nc"), line(b"d")]
    );
}

#[test]
fn clear_line_buffer_then_set_line_mode_keeps_the_extra() {
    let (h, _st, _clock) = connect(Recorder::with_line_hook(|_, cx, line| {
        if line == b"swap" {
            cx.clear_line_buffer();
            cx.set_line_mode(b"instead\r\n");
        }
    }));
    h.data_received(b"swap\r\ndropped\r\n").unwrap();
    assert_eq!(events(&h), [line(b"swap"), line(b"instead")]);
}

/// A recorder with an 8-byte line limit.
#[derive(Default)]
struct Short(Recorder);

impl LineReceiver for Short {
    const MAX_LENGTH: usize = 8;

    fn line_received(&mut self, _cx: &mut LineCx<'_, Self>, line: &[u8]) {
        self.0.events.push(line_event(line));
    }

    fn line_length_exceeded(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        self.0.events.push(Event::Exceeded(line.to_vec()));
        cx.transport().lose_connection();
    }
}

fn line_event(s: &[u8]) -> Event {
    Event::Line(s.to_vec())
}

fn short_events(h: &ProtocolHarness<LineProtocol<Short>>) -> Vec<Event> {
    h.protocol().user().0.events.clone()
}

#[test]
fn an_over_long_line_gets_the_line_its_delimiter_and_the_rest() {
    let (h, st, _clock) = connect(Short::default());
    h.data_received(b"12345678\r\n123456789\r\nnext\r\n")
        .unwrap();
    assert_eq!(
        short_events(&h),
        [
            line(b"12345678"),
            Event::Exceeded(b"123456789\r\nnext\r\n".to_vec())
        ]
    );
    assert!(st.disconnecting());
}

#[test]
fn the_buffer_is_emptied_after_an_over_long_line() {
    struct Lenient(Vec<Event>);
    impl LineReceiver for Lenient {
        const MAX_LENGTH: usize = 4;
        fn line_received(&mut self, _cx: &mut LineCx<'_, Self>, line: &[u8]) {
            self.0.push(line_event(line));
        }
        fn line_length_exceeded(&mut self, _cx: &mut LineCx<'_, Self>, line: &[u8]) {
            self.0.push(Event::Exceeded(line.to_vec()));
        }
    }
    let (h, _st, _clock) = connect(Lenient(Vec::new()));
    h.data_received(b"toolong\r\nok\r\n").unwrap();
    h.data_received(b"fine\r\n").unwrap();
    assert_eq!(
        h.protocol().user().0,
        [
            Event::Exceeded(b"toolong\r\nok\r\n".to_vec()),
            line(b"fine")
        ]
    );
}

#[test]
fn an_unterminated_line_is_over_long_at_max_length_plus_the_delimiter() {
    let (h, st, _clock) = connect(Short::default());
    h.data_received(b"123456789").unwrap();
    assert!(short_events(&h).is_empty(), "9 bytes may still be 8 + \\r");
    h.data_received(b"0").unwrap();
    assert_eq!(short_events(&h), [Event::Exceeded(b"1234567890".to_vec())]);
    assert!(st.disconnecting());
}

#[test]
fn a_line_of_max_length_whose_delimiter_is_split_is_accepted() {
    let (h, st, _clock) = connect(Short::default());
    h.data_received(b"12345678\r").unwrap();
    h.data_received(b"\n").unwrap();
    assert_eq!(short_events(&h), [line(b"12345678")]);
    assert!(!st.disconnecting());
}

#[test]
fn the_default_line_length_exceeded_closes_the_connection() {
    struct Quiet;
    impl LineReceiver for Quiet {
        const MAX_LENGTH: usize = 2;
        fn line_received(&mut self, _cx: &mut LineCx<'_, Self>, _line: &[u8]) {}
    }
    let (h, st, _clock) = connect(Quiet);
    h.data_received(b"abc\r\n").unwrap();
    assert!(st.disconnecting());
}

#[test]
fn set_max_length_applies_to_the_next_line() {
    let (h, _st, _clock) = connect(Recorder::with_line_hook(|_, cx, line| {
        if line == b"limit" {
            cx.set_max_length(3);
            assert_eq!(cx.max_length(), 3);
        }
    }));
    h.data_received(b"limit\r\nabc\r\nabcd\r\n").unwrap();
    assert_eq!(
        events(&h),
        [
            line(b"limit"),
            line(b"abc"),
            Event::Exceeded(b"abcd\r\n".to_vec())
        ]
    );
}

#[test]
fn losing_the_connection_stops_delivery() {
    let (h, st, _clock) = connect(Recorder::with_line_hook(|_, cx, line| {
        if line == b"quit" {
            cx.send_line(b"bye");
            cx.transport().lose_connection();
        }
    }));
    h.data_received(b"a\r\nquit\r\nb\r\n").unwrap();
    h.data_received(b"c\r\n").unwrap();
    assert_eq!(events(&h), [line(b"a"), line(b"quit")]);
    assert_eq!(st.value(), b"bye\r\n");
    h.connection_lost(Failure::new(ConnectionDone));
    assert_eq!(events(&h).last(), Some(&Event::Lost));
}

fn resume(_: &mut Recorder, cx: &mut LineCx<'_, Recorder>) {
    cx.resume_producing();
}

#[test]
fn pausing_buffers_until_resumed_from_a_timer() {
    let (h, st, clock) = connect(Recorder::with_line_hook(|_, cx, line| {
        if line == b"pause" {
            cx.pause_producing();
            assert!(cx.is_paused());
            cx.call_later(Duration::from_secs(1), resume);
        }
    }));
    h.data_received(b"a\r\npause\r\nb\r\n").unwrap();
    assert_eq!(st.producer_state(), "paused");
    h.data_received(b"c\r\nd").unwrap();
    assert_eq!(events(&h), [line(b"a"), line(b"pause")]);
    clock.advance(Duration::from_secs(1));
    assert_eq!(st.producer_state(), "producing");
    assert_eq!(
        events(&h),
        [line(b"a"), line(b"pause"), line(b"b"), line(b"c")]
    );
    h.data_received(b"\r\n").unwrap();
    assert_eq!(events(&h).last(), Some(&line(b"d")));
}

#[test]
fn pausing_in_raw_mode_holds_raw_data() {
    let mut user = Recorder::with_line_hook(|_, cx, _| cx.set_raw_mode());
    user.on_raw = Some(|_, cx, _| {
        cx.pause_producing();
        cx.call_later(Duration::from_secs(1), resume);
    });
    let (h, _st, clock) = connect(user);
    h.data_received(b"go\r\nfirst").unwrap();
    h.data_received(b"second").unwrap();
    h.data_received(b"third").unwrap();
    assert_eq!(events(&h), [line(b"go"), raw(b"first")]);
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        events(&h),
        [line(b"go"), raw(b"first"), raw(b"secondthird")]
    );
}

#[test]
fn resuming_within_the_same_callback_keeps_delivering() {
    let (h, _st, _clock) = connect(Recorder::with_line_hook(|_, cx, _| {
        cx.pause_producing();
        cx.resume_producing();
    }));
    h.data_received(b"a\r\nb\r\n").unwrap();
    assert_eq!(events(&h), [line(b"a"), line(b"b")]);
}

/// Greets a second after connecting, and says the time on `time`.
struct Greeter {
    greeted: bool,
}

impl Greeter {
    fn greet(&mut self, cx: &mut LineCx<'_, Self>) {
        self.greeted = true;
        cx.send_line(b"hello");
    }
}

impl LineReceiver for Greeter {
    fn connection_made(&mut self, cx: &mut LineCx<'_, Self>) {
        cx.call_later(Duration::from_secs(1), Self::greet);
    }

    fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        if line == b"time" {
            cx.send_line(format!("{}", cx.seconds()).as_bytes());
        }
    }
}

#[test]
fn call_later_calls_a_receiver_method() {
    let (h, st, clock) = connect(Greeter { greeted: false });
    clock.advance(Duration::from_millis(999));
    assert!(st.value().is_empty());
    clock.advance(Duration::from_millis(1));
    assert!(h.protocol().user().greeted);
    h.data_received(b"time\r\n").unwrap();
    assert_eq!(st.value(), b"hello\r\n1\r\n");
}

#[test]
fn call_later_dies_with_the_connection() {
    let (h, st, clock) = connect(Greeter { greeted: false });
    h.connection_lost(Failure::new(ConnectionDone));
    clock.advance(Duration::from_secs(2));
    assert!(!h.protocol().user().greeted);
    assert!(st.value().is_empty());
    assert!(clock.get_delayed_calls().is_empty());
}

#[test]
fn a_timer_handing_bytes_back_gets_them_delivered() {
    fn feed(_: &mut Recorder, cx: &mut LineCx<'_, Recorder>) {
        cx.set_line_mode(b"fed\r\n");
    }
    let (h, _st, clock) = connect(Recorder::with_line_hook(|_, cx, _| {
        cx.call_later(Duration::from_secs(1), feed);
    }));
    h.data_received(b"a\r\n").unwrap();
    clock.advance(Duration::from_secs(1));
    assert_eq!(events(&h), [line(b"a"), line(b"fed")]);
}

#[test]
fn a_custom_delimiter() {
    struct Nul(Vec<Vec<u8>>);
    impl LineReceiver for Nul {
        const DELIMITER: &'static [u8] = b"\0\0";
        fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
            self.0.push(line.to_vec());
            cx.send_line(line);
        }
    }
    let (h, st, _clock) = connect(Nul(Vec::new()));
    h.data_received_in_chunks(b"a\0b\0\0\0\0c\0\0", 1).unwrap();
    assert_eq!(
        h.protocol().user().0,
        [b"a\0b".to_vec(), b"".to_vec(), b"c".to_vec()]
    );
    assert_eq!(st.value(), b"a\0b\0\0\0\0c\0\0");
}

#[test]
fn set_delimiter_applies_to_the_rest_of_the_read_and_to_sending() {
    let (h, st, _clock) = connect(Recorder::with_line_hook(|_, cx, line| {
        if line == b"switch" {
            cx.set_delimiter(b";");
            assert_eq!(cx.delimiter(), b";");
            cx.send_line(b"ok");
        }
    }));
    h.data_received(b"a\r\nswitch\r\nb;c\r").unwrap();
    h.data_received(b"\n;").unwrap();
    assert_eq!(
        events(&h),
        [line(b"a"), line(b"switch"), line(b"b"), line(b"c\r\n")]
    );
    assert_eq!(st.value(), b"ok;");
}

#[test]
#[should_panic(expected = "cannot be empty")]
fn an_empty_delimiter_is_refused() {
    struct Empty;
    impl LineReceiver for Empty {
        const DELIMITER: &'static [u8] = b"";
        fn line_received(&mut self, _cx: &mut LineCx<'_, Self>, _line: &[u8]) {}
    }
    let _ = LineProtocol::new(Empty);
}

#[test]
fn a_line_only_receiver_runs_in_a_line_protocol() {
    #[derive(Default)]
    struct Lines(Vec<Vec<u8>>);
    impl LineOnlyReceiver for Lines {
        const MAX_LENGTH: usize = 5;
        fn line_received(&mut self, _cx: &mut LineCx<'_, Self>, line: &[u8]) {
            self.0.push(line.to_vec());
        }
    }
    let (h, st, _clock) = connect(Lines::default());
    h.data_received(b"one\r\ntwo\r\n").unwrap();
    assert_eq!(h.protocol().user().0, [b"one".to_vec(), b"two".to_vec()]);
    h.data_received(b"toolong\r\n").unwrap();
    assert!(st.disconnecting());
}

#[test]
fn user_mut_and_debug() {
    let (h, _st, _clock) = connect(Recorder::default());
    h.protocol_mut().user_mut().events.clear();
    h.data_received(b"partial").unwrap();
    let shown = format!("{:?}", *h.protocol());
    assert!(shown.contains("buffered: 7"), "{shown}");
    assert!(h.protocol().user().events.is_empty());
}

/// Keeps a handle to its own connection; pauses on `pause`.
#[derive(Default)]
struct Held {
    handle: Option<ProtocolHandle<LineProtocol<Held>>>,
    lines: Vec<Vec<u8>>,
}

impl LineReceiver for Held {
    fn connection_made(&mut self, cx: &mut LineCx<'_, Self>) {
        self.handle = Some(cx.handle());
    }

    fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        self.lines.push(line.to_vec());
        if line == b"pause" {
            cx.pause_producing();
        }
    }
}

#[test]
fn a_handle_reaches_the_receiver_and_resuming_through_it_delivers() {
    let (h, st, _clock) = connect(Held::default());
    h.data_received(b"pause\r\na\r\nb\r\n").unwrap();
    assert_eq!(h.protocol().user().lines, [b"pause".to_vec()]);
    let handle = h.protocol().user().handle.clone().unwrap();
    let paused = handle.with(|p, cx| {
        p.call(cx, |_, lcx| {
            lcx.send_line(b"resuming");
            let paused = lcx.is_paused();
            lcx.resume_producing();
            paused
        })
    });
    assert_eq!(paused, Some(true));
    assert_eq!(st.value(), b"resuming\r\n");
    assert_eq!(
        h.protocol().user().lines,
        [b"pause".to_vec(), b"a".to_vec(), b"b".to_vec()]
    );
}
