//! Unit tests of [`NetstringProtocol`]: Twisted's cases from `test_basic.py`, timers, and
//! a long string arriving a byte at a time.

use std::time::Duration;

use super::{NetstringCx, NetstringParseError, NetstringProtocol, NetstringReceiver};
use crate::error::ConnectionDone;
use crate::testing::{Clock, ProtocolHarness, StringTransport};
use crate::Failure;

/// Records the strings it receives (and echoes them, as Twisted's `TestNetstring`);
/// accepts lengths up to `MAX`.
#[derive(Default)]
struct Recorder<const MAX: usize> {
    received: Vec<Vec<u8>>,
    lost: bool,
}

impl<const MAX: usize> NetstringReceiver for Recorder<MAX> {
    const MAX_LENGTH: usize = MAX;

    fn string_received(&mut self, cx: &mut NetstringCx<'_, Self>, data: &[u8]) {
        self.received.push(data.to_vec());
        cx.transport().write(data);
    }

    fn connection_lost(&mut self, _cx: &mut NetstringCx<'_, Self>, _reason: &Failure) {
        self.lost = true;
    }
}

type Harness<const MAX: usize> = ProtocolHarness<NetstringProtocol<Recorder<MAX>>>;

fn connect<const MAX: usize>() -> (Harness<MAX>, StringTransport) {
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(
        NetstringProtocol::new(Recorder::default()),
        &st,
        &Clock::new(),
    )
    .unwrap();
    (h, st)
}

fn received<const MAX: usize>(h: &Harness<MAX>) -> Vec<Vec<u8>> {
    h.protocol().user().received.clone()
}

/// Twisted's `NetstringReceiverTests.strings`.
fn twisted_strings() -> Vec<Vec<u8>> {
    let mut strings: Vec<Vec<u8>> = ["hello", "world", "how", "are", "you123", ":today"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    strings.push(vec![b'a'; 515]);
    strings
}

/// Sends `strings` from a receiver's `connection_made`.
struct Sender(Vec<Vec<u8>>);

impl NetstringReceiver for Sender {
    fn string_received(&mut self, _cx: &mut NetstringCx<'_, Self>, _data: &[u8]) {}

    fn connection_made(&mut self, cx: &mut NetstringCx<'_, Self>) {
        for s in &self.0 {
            cx.send_string(s);
        }
    }
}

fn sent(strings: Vec<Vec<u8>>) -> Vec<u8> {
    let st = StringTransport::new();
    ProtocolHarness::connect(NetstringProtocol::new(Sender(strings)), &st, &Clock::new()).unwrap();
    st.value()
}

#[test]
fn send_string_frames_netstrings() {
    assert_eq!(
        sent(vec![b"".to_vec(), b"hello world!".to_vec()]),
        b"0:,12:hello world!,"
    );
    assert_eq!(sent(vec![vec![b'x'; 100]])[..4], *b"100:");
}

#[test]
fn strings_arrive_in_chunks_of_any_size() {
    let wire = sent(twisted_strings());
    for size in 1..10 {
        let (h, st) = connect::<699>();
        h.data_received_in_chunks(&wire, size).unwrap();
        assert_eq!(received(&h), twisted_strings(), "chunks of {size}");
        assert!(!st.disconnecting());
    }
}

#[test]
fn small_netstrings_are_received() {
    for (wire, string) in [
        (&b"0:,"[..], &b""[..]),
        (b"1:a,", b"a"),
        (b"2:ab,", b"ab"),
        (b"4:1:a,,", b"1:a,"),
    ] {
        let (h, st) = connect::<50>();
        h.data_received(wire).unwrap();
        assert_eq!(received(&h), vec![string.to_vec()]);
        assert_eq!(st.value(), string, "the test receiver echoes");
        assert!(!h.protocol().broken_peer());
    }
}

#[test]
fn illegal_strings_byte_by_byte_close_the_connection() {
    let mut too_long = b"51:".to_vec();
    too_long.extend([b'a'; 50]);
    too_long.extend(b"b,");
    for illegal in [
        &b"9999999999999999999999"[..],
        b"abc",
        b"4:abcde",
        &too_long,
    ] {
        let (h, st) = connect::<50>();
        h.data_received_in_chunks(illegal, 1).unwrap();
        assert!(st.disconnecting(), "{illegal:?}");
        assert!(h.protocol().broken_peer());
        assert_eq!(received(&h), Vec::<Vec<u8>>::new());
    }
}

fn parse_error_of(wire: &[u8]) -> Option<NetstringParseError> {
    let (h, st) = connect::<50>();
    h.data_received(wire).unwrap();
    assert_eq!(st.disconnecting(), h.protocol().broken_peer());
    let error = h.protocol().parse_error();
    error
}

#[test]
fn malformed_netstrings_are_refused() {
    use NetstringParseError::{MissingComma, MissingLength, TooLong};
    let too_long = Some(TooLong { max_length: 50 });
    for (wire, error) in [
        (&b"2:abc,"[..], Some(MissingComma)),
        (b"2:aaa,", Some(MissingComma)),
        (b"0:a,", Some(MissingComma)),
        (b"3:abc", None),
        (b"3:abc;", Some(MissingComma)),
        (b":aaa,", Some(MissingLength)),
        (b"3aaa,", Some(MissingLength)),
        (b"aaa,", Some(MissingLength)),
        (b"aaa", Some(MissingLength)),
        (b"01:a,", Some(MissingLength)),
        (b"00", Some(MissingLength)),
        (b"-1:a,", Some(MissingLength)),
        (b" 1:a,", Some(MissingLength)),
        (b"51", too_long),
        (b"51:", too_long),
        (b"1000:", too_long),
        (b"9999999999999999999999999999", too_long),
        (b"50", None),
        (b"0", None),
    ] {
        assert_eq!(
            parse_error_of(wire),
            error,
            "{:?}",
            String::from_utf8_lossy(wire)
        );
    }
}

#[test]
fn the_length_limit_is_inclusive() {
    // Twisted's `test_consumeLengthBorderCase1..3`.
    let (h, st) = connect::<12>();
    h.data_received(b"12:").unwrap();
    assert!(!st.disconnecting());
    h.data_received(b"abcdefghijkl,").unwrap();
    assert_eq!(received(&h), vec![b"abcdefghijkl".to_vec()]);
    let (h, st) = connect::<11>();
    h.data_received(b"12:").unwrap();
    assert!(st.disconnecting());
    assert_eq!(
        h.protocol().parse_error(),
        Some(NetstringParseError::TooLong { max_length: 11 })
    );
}

#[test]
fn a_length_longer_than_max_length_is_refused_before_its_data() {
    // Twisted's `test_maxReceiveLimit`.
    let mut wire = b"100000:".to_vec();
    wire.extend(vec![b'a'; 100_000]);
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(
        NetstringProtocol::new(Recorder::<99_999>::default()),
        &st,
        &Clock::new(),
    )
    .unwrap();
    h.data_received(&wire).unwrap();
    assert!(st.disconnecting());
}

#[test]
fn a_netstring_may_arrive_in_portions() {
    for (parts, string) in [
        (&[&b"4:aa"[..], b"aa,"][..], &b"aaaa"[..]),
        (&[b"1", b"0:01234", b"56789", b","], b"0123456789"),
        (&[b"2", b":", b"a", b"b", b","], b"ab"),
    ] {
        let (h, _st) = connect::<50>();
        for part in parts {
            h.data_received(part).unwrap();
        }
        assert_eq!(received(&h), vec![string.to_vec()]);
    }
}

#[test]
fn two_netstrings_split_after_the_first_length_digit() {
    let (h, _st) = connect::<50>();
    h.data_received(b"1:a,1").unwrap();
    assert_eq!(received(&h), vec![b"a".to_vec()]);
    h.data_received(b":b,").unwrap();
    assert_eq!(received(&h), vec![b"a".to_vec(), b"b".to_vec()]);
}

#[test]
fn strings_before_an_error_are_delivered_and_none_after() {
    let (h, st) = connect::<50>();
    h.data_received(b"1:a,1:bc1:d,").unwrap();
    assert_eq!(received(&h), vec![b"a".to_vec()]);
    assert!(st.disconnecting());
    h.data_received(b"1:e,").unwrap();
    assert_eq!(received(&h), vec![b"a".to_vec()]);
}

#[test]
fn a_newline_after_the_length_is_refused_only_once_something_follows() {
    // Twisted's partial-length pattern ends in `$`, which also matches before a final
    // newline.
    let (h, st) = connect::<50>();
    h.data_received(b"12\n").unwrap();
    assert!(!st.disconnecting());
    h.data_received(b":").unwrap();
    assert!(st.disconnecting());
    assert_eq!(
        parse_error_of(b"\n"),
        Some(NetstringParseError::MissingLength)
    );
    assert_eq!(parse_error_of(b"0\n"), None);
    assert_eq!(
        parse_error_of(b"0\n\n"),
        Some(NetstringParseError::MissingLength)
    );
}

#[test]
fn closing_in_string_received_does_not_stop_the_strings_already_received() {
    // As Twisted: the strings of the current read are all delivered.
    struct Closer(usize);
    impl NetstringReceiver for Closer {
        fn string_received(&mut self, cx: &mut NetstringCx<'_, Self>, _data: &[u8]) {
            self.0 += 1;
            cx.transport().lose_connection();
        }
    }
    let st = StringTransport::new();
    let h =
        ProtocolHarness::connect(NetstringProtocol::new(Closer(0)), &st, &Clock::new()).unwrap();
    h.data_received(b"1:a,1:b,").unwrap();
    assert_eq!(h.protocol().user().0, 2);
}

/// Answers every string after a second, with the time.
struct Delayed;

impl NetstringReceiver for Delayed {
    fn string_received(&mut self, cx: &mut NetstringCx<'_, Self>, data: &[u8]) {
        let data = data.to_vec();
        cx.call_later(Duration::from_secs(1), move |_me: &mut Delayed, cx| {
            cx.send_string(&data);
            cx.send_string(cx.seconds().to_string().as_bytes());
        });
    }
}

#[test]
fn receivers_have_timers_that_die_with_the_connection() {
    let clock = Clock::new();
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(NetstringProtocol::new(Delayed), &st, &clock).unwrap();
    h.data_received(b"2:hi,").unwrap();
    assert_eq!(st.value(), b"");
    clock.advance(Duration::from_secs(1));
    assert_eq!(st.value(), b"2:hi,1:1,");
    h.data_received(b"3:bye,").unwrap();
    h.connection_lost(Failure::new(ConnectionDone));
    clock.advance(Duration::from_secs(1));
    assert_eq!(st.value(), b"2:hi,1:1,");
}

#[test]
fn connection_lost_reaches_the_receiver() {
    let (h, _st) = connect::<50>();
    h.connection_lost(Failure::new(ConnectionDone));
    assert!(h.protocol().user().lost);
}

#[test]
fn a_mebibyte_arriving_a_byte_at_a_time_is_parsed_in_linear_time() {
    const MIB: usize = 1 << 20;
    let mut wire = format!("{MIB}:").into_bytes();
    wire.extend((0..MIB).map(|i| i as u8));
    wire.push(b',');
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(
        NetstringProtocol::new(Recorder::<MIB>::default()),
        &st,
        &Clock::new(),
    )
    .unwrap();
    h.data_received_in_chunks(&wire, 1).unwrap();
    assert_eq!(received(&h), vec![wire[8..wire.len() - 1].to_vec()]);
}
