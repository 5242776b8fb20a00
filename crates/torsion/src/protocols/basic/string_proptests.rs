//! Property tests of the string receivers: however the bytes are split, the receiver
//! hears the same as when they arrive at once, which is what a model of Twisted's parser
//! reading the whole input says; and what `send_string` writes parses back.

use proptest::collection::vec;
use proptest::prelude::*;

use super::{
    Int16, Int32, Int8, IntNCx, IntNProtocol, IntNStringReceiver, LengthPrefix, NetstringCx,
    NetstringProtocol, NetstringReceiver,
};
use crate::testing::{Clock, ProtocolHarness, StringTransport};
use crate::Protocol;

const CASES: u32 = 10_000;
/// Small, so that generated lengths often go over it.
const MAX: usize = 6;

/// What a receiver heard: its strings, length limits exceeded (repeats collapsed: Twisted
/// reports one per read), and whether it closed the connection.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Heard {
    events: Vec<Event>,
    closed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    String(Vec<u8>),
    TooLong(usize),
}

impl Heard {
    fn push(&mut self, event: Event) {
        if !matches!(event, Event::TooLong(_)) || self.events.last() != Some(&event) {
            self.events.push(event);
        }
    }
}

/// Records netstrings, and sends `send` from `connection_made`.
#[derive(Default)]
struct Netstrings {
    heard: Heard,
    send: Vec<Vec<u8>>,
}

impl NetstringReceiver for Netstrings {
    const MAX_LENGTH: usize = MAX;

    fn string_received(&mut self, _cx: &mut NetstringCx<'_, Self>, data: &[u8]) {
        self.heard.push(Event::String(data.to_vec()));
    }

    fn connection_made(&mut self, cx: &mut NetstringCx<'_, Self>) {
        for s in &self.send {
            cx.send_string(s);
        }
    }
}

/// Records strings prefixed by `P`; the send side as [`Netstrings`].
struct Prefixed<P> {
    heard: Heard,
    send: Vec<Vec<u8>>,
    prefix: std::marker::PhantomData<P>,
}

impl<P> Prefixed<P> {
    fn new(send: Vec<Vec<u8>>) -> Self {
        Prefixed {
            heard: Heard::default(),
            send,
            prefix: std::marker::PhantomData,
        }
    }
}

impl<P: LengthPrefix> IntNStringReceiver for Prefixed<P> {
    type Prefix = P;
    const MAX_LENGTH: usize = MAX;

    fn string_received(&mut self, _cx: &mut IntNCx<'_, Self>, data: &[u8]) {
        self.heard.push(Event::String(data.to_vec()));
    }

    fn length_limit_exceeded(&mut self, cx: &mut IntNCx<'_, Self>, length: usize) {
        self.heard.push(Event::TooLong(length));
        cx.transport().lose_connection();
    }

    fn connection_made(&mut self, cx: &mut IntNCx<'_, Self>) {
        for s in &self.send {
            cx.send_string(s).unwrap();
        }
    }
}

/// Connects `protocol`, feeds it `wire` cut at `cuts`, and returns the protocol's harness
/// and whether the connection was closed.
fn feed<P: Protocol>(protocol: P, wire: &[u8], cuts: &[usize]) -> (ProtocolHarness<P>, bool) {
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(protocol, &st, &Clock::new()).unwrap();
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(wire.len())).collect();
    cuts.sort_unstable();
    let mut from = 0;
    for to in cuts.into_iter().chain([wire.len()]) {
        h.data_received(&wire[from..to]).unwrap();
        from = to;
    }
    (h, st.disconnecting())
}

fn netstrings_heard(wire: &[u8], cuts: &[usize]) -> Heard {
    let (h, closed) = feed(NetstringProtocol::new(Netstrings::default()), wire, cuts);
    let mut heard = h.protocol().user().heard.clone();
    heard.closed = closed;
    heard
}

fn prefixed_heard<P: LengthPrefix>(wire: &[u8], cuts: &[usize]) -> Heard {
    let (h, closed) = feed(
        IntNProtocol::new(Prefixed::<P>::new(Vec::new())),
        wire,
        cuts,
    );
    let mut heard = h.protocol().user().heard.clone();
    heard.closed = closed;
    heard
}

/// Twisted's netstring parser, modelled on a whole input: a length of digits with no
/// leading zero and at most `MAX`, then `:` (or a `\n` that ends the input), the data,
/// `,`.
fn netstring_model(wire: &[u8]) -> Heard {
    let mut heard = Heard::default();
    let mut at = 0;
    while at < wire.len() {
        let digits = wire[at..].iter().take_while(|b| b.is_ascii_digit()).count();
        let end = at + digits;
        let length = wire[at..end].iter().fold(0u128, |n, &d| {
            (n * 10 + u128::from(d - b'0')).min(u128::MAX / 20)
        });
        let bad_length = digits == 0 || (digits > 1 && wire[at] == b'0') || length > MAX as u128;
        if bad_length {
            heard.closed = true;
            return heard;
        }
        match wire.get(end) {
            None => return heard,
            Some(b'\n') if end + 1 == wire.len() => return heard,
            Some(b':') => {}
            Some(_) => {
                heard.closed = true;
                return heard;
            }
        }
        let start = end + 1;
        let length = length as usize;
        match wire.get(start + length) {
            None => return heard,
            Some(b',') => heard.push(Event::String(wire[start..start + length].to_vec())),
            Some(_) => {
                heard.closed = true;
                return heard;
            }
        }
        at = start + length + 1;
    }
    heard
}

/// Twisted's length-prefixed parser, modelled on a whole input.
fn prefixed_model<P: LengthPrefix>(wire: &[u8]) -> Heard {
    let mut heard = Heard::default();
    let mut at = 0;
    while let Some(prefix) = wire.get(at..at + P::BYTES) {
        let length = prefix.iter().fold(0, |n, &b| n << 8 | usize::from(b));
        if length > MAX {
            heard.push(Event::TooLong(length));
            heard.closed = true;
            break;
        }
        let start = at + P::BYTES;
        let Some(string) = wire.get(start..start + length) else {
            break;
        };
        heard.push(Event::String(string.to_vec()));
        at = start + length;
    }
    heard
}

/// Netstrings, some too long, mixed with bytes that often break them.
fn netstring_wire() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        3 => vec(prop::sample::select(b"ab:,\n0".to_vec()), 0..=MAX + 2).prop_map(|data| {
            let mut wire = format!("{}:", data.len()).into_bytes();
            wire.extend(data);
            wire.push(b',');
            wire
        }),
        1 => vec(prop::sample::select(b"0123456789:,\na".to_vec()), 0..4),
    ];
    vec(token, 0..6).prop_map(|tokens| tokens.concat())
}

/// Strings prefixed by `P`, some too long, mixed with arbitrary bytes.
fn prefixed_wire<P: LengthPrefix>() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        3 => vec(any::<u8>(), 0..=MAX + 2).prop_map(|data| {
            let mut wire = (data.len() as u64).to_be_bytes()[8 - P::BYTES..].to_vec();
            wire.extend(data);
            wire
        }),
        1 => vec(prop_oneof![Just(0u8), any::<u8>()], 0..4),
    ];
    vec(token, 0..6).prop_map(|tokens| tokens.concat())
}

fn cuts() -> impl Strategy<Value = Vec<usize>> {
    vec(0usize..64, 0..8)
}

fn strings() -> impl Strategy<Value = Vec<Vec<u8>>> {
    vec(vec(any::<u8>(), 0..=MAX), 0..8)
}

fn round_trip_prefixed<P: LengthPrefix>(sent: &[Vec<u8>], cuts: &[usize]) -> Heard {
    let st = StringTransport::new();
    ProtocolHarness::connect(
        IntNProtocol::new(Prefixed::<P>::new(sent.to_vec())),
        &st,
        &Clock::new(),
    )
    .unwrap();
    prefixed_heard::<P>(&st.value(), cuts)
}

fn as_heard(strings: &[Vec<u8>]) -> Heard {
    Heard {
        events: strings.iter().cloned().map(Event::String).collect(),
        closed: false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn netstrings_split_anyhow_are_heard_as_twisted_does(wire in netstring_wire(), cuts in cuts()) {
        let whole = netstrings_heard(&wire, &[]);
        prop_assert_eq!(&whole, &netstring_model(&wire));
        prop_assert_eq!(netstrings_heard(&wire, &cuts), whole);
    }

    #[test]
    fn int8_strings_split_anyhow_are_heard_as_twisted_does(wire in prefixed_wire::<Int8>(), cuts in cuts()) {
        let whole = prefixed_heard::<Int8>(&wire, &[]);
        prop_assert_eq!(&whole, &prefixed_model::<Int8>(&wire));
        prop_assert_eq!(prefixed_heard::<Int8>(&wire, &cuts), whole);
    }

    #[test]
    fn int16_strings_split_anyhow_are_heard_as_twisted_does(wire in prefixed_wire::<Int16>(), cuts in cuts()) {
        let whole = prefixed_heard::<Int16>(&wire, &[]);
        prop_assert_eq!(&whole, &prefixed_model::<Int16>(&wire));
        prop_assert_eq!(prefixed_heard::<Int16>(&wire, &cuts), whole);
    }

    #[test]
    fn int32_strings_split_anyhow_are_heard_as_twisted_does(wire in prefixed_wire::<Int32>(), cuts in cuts()) {
        let whole = prefixed_heard::<Int32>(&wire, &[]);
        prop_assert_eq!(&whole, &prefixed_model::<Int32>(&wire));
        prop_assert_eq!(prefixed_heard::<Int32>(&wire, &cuts), whole);
    }

    #[test]
    fn sent_netstrings_parse_back(sent in strings(), cuts in cuts()) {
        let st = StringTransport::new();
        let sender = Netstrings { heard: Heard::default(), send: sent.clone() };
        ProtocolHarness::connect(NetstringProtocol::new(sender), &st, &Clock::new()).unwrap();
        prop_assert_eq!(netstrings_heard(&st.value(), &cuts), as_heard(&sent));
    }

    #[test]
    fn sent_prefixed_strings_parse_back(sent in strings(), cuts in cuts()) {
        prop_assert_eq!(round_trip_prefixed::<Int8>(&sent, &cuts), as_heard(&sent));
        prop_assert_eq!(round_trip_prefixed::<Int16>(&sent, &cuts), as_heard(&sent));
        prop_assert_eq!(round_trip_prefixed::<Int32>(&sent, &cuts), as_heard(&sent));
    }
}
