//! Unit tests of [`IntNProtocol`]: Twisted's cases from `test_basic.py` for each width,
//! timers, and a long string arriving a byte at a time.

use std::marker::PhantomData;
use std::time::Duration;

use super::{Int16, Int32, Int8, IntNCx, IntNProtocol, IntNStringReceiver, LengthPrefix};
use crate::error::ConnectionDone;
use crate::testing::{Clock, ProtocolHarness, StringTransport};
use crate::Failure;

/// What a test receiver heard.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Heard {
    String(Vec<u8>),
    TooLong(usize),
}

/// Records what it hears, for prefix `P`, accepting lengths up to `MAX`; `CLOSE` keeps
/// the default `length_limit_exceeded` (which closes) instead of recording.
struct Recorder<P, const MAX: usize, const CLOSE: bool> {
    heard: Vec<Heard>,
    prefix: PhantomData<P>,
}

impl<P, const MAX: usize, const CLOSE: bool> Default for Recorder<P, MAX, CLOSE> {
    fn default() -> Self {
        Recorder {
            heard: Vec::new(),
            prefix: PhantomData,
        }
    }
}

impl<P: LengthPrefix, const MAX: usize, const CLOSE: bool> IntNStringReceiver
    for Recorder<P, MAX, CLOSE>
{
    type Prefix = P;
    const MAX_LENGTH: usize = MAX;

    fn string_received(&mut self, _cx: &mut IntNCx<'_, Self>, data: &[u8]) {
        self.heard.push(Heard::String(data.to_vec()));
    }

    fn length_limit_exceeded(&mut self, cx: &mut IntNCx<'_, Self>, length: usize) {
        if CLOSE {
            cx.transport().lose_connection();
        } else {
            self.heard.push(Heard::TooLong(length));
        }
    }
}

type Harness<P, const MAX: usize, const CLOSE: bool> =
    ProtocolHarness<IntNProtocol<Recorder<P, MAX, CLOSE>>>;

fn connect<P: LengthPrefix, const MAX: usize, const CLOSE: bool>(
) -> (Harness<P, MAX, CLOSE>, StringTransport) {
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(IntNProtocol::new(Recorder::default()), &st, &Clock::new())
        .unwrap();
    (h, st)
}

fn heard<P: LengthPrefix, const MAX: usize, const CLOSE: bool>(
    h: &Harness<P, MAX, CLOSE>,
) -> Vec<Heard> {
    h.protocol().user().heard.clone()
}

fn strings(strings: &[&[u8]]) -> Vec<Heard> {
    strings.iter().map(|s| Heard::String(s.to_vec())).collect()
}

/// `data` framed with a `P` prefix, built by hand.
fn framed<P: LengthPrefix>(data: &[u8]) -> Vec<u8> {
    let mut wire = (data.len() as u64).to_be_bytes()[8 - P::BYTES..].to_vec();
    wire.extend_from_slice(data);
    wire
}

/// Sends `strings` from `connection_made`, recording each `send_string` result.
struct Sender<P> {
    strings: Vec<Vec<u8>>,
    results: Vec<Result<(), super::StringTooLong>>,
    prefix: PhantomData<P>,
}

impl<P: LengthPrefix> IntNStringReceiver for Sender<P> {
    type Prefix = P;

    fn string_received(&mut self, _cx: &mut IntNCx<'_, Self>, _data: &[u8]) {}

    fn connection_made(&mut self, cx: &mut IntNCx<'_, Self>) {
        for s in &self.strings {
            self.results.push(cx.send_string(s));
        }
    }
}

fn send<P: LengthPrefix>(
    strings: Vec<Vec<u8>>,
) -> (Vec<u8>, Vec<Result<(), super::StringTooLong>>) {
    let st = StringTransport::new();
    let sender = Sender::<P> {
        strings,
        results: Vec::new(),
        prefix: PhantomData,
    };
    let h = ProtocolHarness::connect(IntNProtocol::new(sender), &st, &Clock::new()).unwrap();
    let results = h.protocol().user().results.clone();
    (st.value(), results)
}

fn check_width<P: LengthPrefix>(foo: &[u8], ubar: &[u8]) {
    // Twisted's `test_data`.
    assert_eq!(send::<P>(vec![b"foo".to_vec()]).0, foo);
    let (h, _st) = connect::<P, 50, false>();
    h.data_received(ubar).unwrap();
    assert_eq!(heard(&h), strings(&[b"ubar"]));

    // `test_receive`: Twisted's strings, a byte at a time.
    let (h, _st) = connect::<P, 50, false>();
    let wire = [framed::<P>(b"a"), framed::<P>(&[b'b'; 16])].concat();
    h.data_received_in_chunks(&wire, 1).unwrap();
    assert_eq!(heard(&h), strings(&[b"a", &[b'b'; 16]]));

    // `test_send`.
    assert_eq!(send::<P>(vec![vec![b'b'; 16]]).0, framed::<P>(&[b'b'; 16]));

    // `test_lengthLimitExceeded` and `test_longStringNotDelivered`.
    let (h, _st) = connect::<P, 10, false>();
    h.data_received(&framed::<P>(&[b'x'; 11])).unwrap();
    assert_eq!(heard(&h), vec![Heard::TooLong(11)]);
    let (h, st) = connect::<P, 10, true>();
    h.data_received(&framed::<P>(&[b'x'; 11])).unwrap();
    assert_eq!(heard(&h), vec![]);
    assert!(st.disconnecting());
}

#[test]
fn int32_frames_with_four_bytes() {
    check_width::<Int32>(b"\x00\x00\x00\x03foo", b"\x00\x00\x00\x04ubar");
}

#[test]
fn int16_frames_with_two_bytes() {
    check_width::<Int16>(b"\x00\x03foo", b"\x00\x04ubar");
}

#[test]
fn int8_frames_with_one_byte() {
    check_width::<Int8>(b"\x03foo", b"\x04ubar");
}

#[test]
fn partial_strings_deliver_nothing() {
    fn check<P: LengthPrefix>(partials: &[&[u8]]) {
        for partial in partials {
            // As in Twisted, "hell" is a length over the limit: the connection closes.
            let (h, _st) = connect::<P, 50, true>();
            h.data_received_in_chunks(partial, 1).unwrap();
            assert_eq!(heard(&h), vec![], "{partial:?}");
        }
    }
    check::<Int32>(&[b"\x00\x00\x00", b"hello there", b""]);
    check::<Int16>(&[b"\x00", b"hello there", b""]);
    check::<Int8>(&[b"\x08", b"dzadz", b""]);
}

#[test]
fn illegal_strings_close_the_connection() {
    fn check<P: LengthPrefix>(illegal: &[u8]) {
        let (h, st) = connect::<P, 50, true>();
        h.data_received_in_chunks(illegal, 1).unwrap();
        assert!(st.disconnecting(), "{illegal:?}");
    }
    check::<Int32>(b"\x10\x00\x00\x00aaaaaa");
    check::<Int16>(b"\x10\x00aaaaaa");
    check::<Int8>(b"\x00\x00aaaaaa");
}

#[test]
fn the_default_length_limit_closes_the_connection() {
    struct Quiet;
    impl IntNStringReceiver for Quiet {
        type Prefix = Int32;
        fn string_received(&mut self, _cx: &mut IntNCx<'_, Self>, _data: &[u8]) {}
    }
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(IntNProtocol::new(Quiet), &st, &Clock::new()).unwrap();
    h.data_received(&99_999u32.to_be_bytes()).unwrap();
    assert!(!st.disconnecting());
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(IntNProtocol::new(Quiet), &st, &Clock::new()).unwrap();
    h.data_received(&100_000u32.to_be_bytes()).unwrap();
    assert!(st.disconnecting());
}

#[test]
fn after_a_length_over_the_limit_every_read_reports_it_again() {
    let (h, _st) = connect::<Int8, 10, false>();
    h.data_received(b"\x01a\x0b").unwrap();
    h.data_received(b"\x01b").unwrap();
    h.data_received(b"").unwrap();
    assert_eq!(
        heard(&h),
        vec![
            Heard::String(b"a".to_vec()),
            Heard::TooLong(11),
            Heard::TooLong(11),
            Heard::TooLong(11)
        ]
    );
}

#[test]
fn sending_a_string_too_long_for_the_prefix_is_refused() {
    // Twisted's `test_tooLongSend`, and the boundary.
    let (wire, results) = send::<Int8>(vec![vec![b'b'; 257], vec![b'b'; 256], vec![b'c'; 255]]);
    assert_eq!(wire, framed::<Int8>(&[b'c'; 255]));
    let error = results[0].unwrap_err();
    assert_eq!(
        (error.length(), error.prefix_bytes(), error.max_length()),
        (257, 1, 255)
    );
    assert_eq!(results[1].unwrap_err().length(), 256);
    assert_eq!(results[2], Ok(()));
    assert_eq!(
        error.to_string(),
        "cannot send a string of 257 bytes: a 1-byte length prefix holds at most 255"
    );

    let (wire, results) = send::<Int16>(vec![
        vec![b'b'; 65_537],
        vec![b'b'; 65_536],
        vec![b'c'; 65_535],
    ]);
    assert_eq!(wire, framed::<Int16>(&[b'c'; 65_535]));
    assert_eq!(results[0].unwrap_err().max_length(), 65_535);
    assert!(results[1].is_err());
    assert_eq!(results[2], Ok(()));
}

/// Echoes each string a second later.
struct Delayed;

impl IntNStringReceiver for Delayed {
    type Prefix = Int16;

    fn string_received(&mut self, cx: &mut IntNCx<'_, Self>, data: &[u8]) {
        let data = data.to_vec();
        cx.call_later(Duration::from_secs(1), move |_me: &mut Delayed, cx| {
            cx.send_string(&data).unwrap();
        });
    }
}

#[test]
fn receivers_have_timers_that_die_with_the_connection() {
    let clock = Clock::new();
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(IntNProtocol::new(Delayed), &st, &clock).unwrap();
    h.data_received(b"\x00\x02hi").unwrap();
    assert_eq!(st.value(), b"");
    clock.advance(Duration::from_secs(1));
    assert_eq!(st.value(), b"\x00\x02hi");
    h.data_received(b"\x00\x03bye").unwrap();
    h.connection_lost(Failure::new(ConnectionDone));
    clock.advance(Duration::from_secs(1));
    assert_eq!(st.value(), b"\x00\x02hi");
}

#[test]
fn a_mebibyte_arriving_a_byte_at_a_time_is_parsed_in_linear_time() {
    const MIB: usize = 1 << 20;
    let data: Vec<u8> = (0..MIB).map(|i| i as u8).collect();
    let (h, _st) = connect::<Int32, MIB, false>();
    h.data_received_in_chunks(&framed::<Int32>(&data), 1)
        .unwrap();
    assert_eq!(heard(&h), vec![Heard::String(data)]);
}
