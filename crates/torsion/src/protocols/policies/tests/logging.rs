use super::{log_buffer, Echo};
use crate::error::ConnectionDone;
use crate::protocols::policies::{
    LogSink, Spewing, SpewingFactory, TrafficLogging, TrafficLoggingFactory,
};
use crate::testing::{Clock, ProtocolHarness, StringTransport};
use crate::{Address, Factory, Failure};

#[test]
fn traffic_is_logged_per_connection_with_its_number() {
    let (buffer, text) = log_buffer();
    let mut factory =
        TrafficLoggingFactory::new(|_| Some(Echo), TrafficLogging::new(LogSink::writer(buffer)));
    let clock = Clock::new();
    let st1 = StringTransport::new();
    let h1 = ProtocolHarness::connect(factory.build_protocol(Address::Pipe).unwrap(), &st1, &clock)
        .unwrap();
    let st2 = StringTransport::new();
    let h2 = ProtocolHarness::connect(factory.build_protocol(Address::Pipe).unwrap(), &st2, &clock)
        .unwrap();
    assert_eq!(h2.protocol().with_policy(|p| p.number()), 2);
    h1.data_received(b"a\x00").unwrap();
    h2.data_received(b"bye").unwrap();
    h2.connection_lost(Failure::new(ConnectionDone));
    assert_eq!(
        text(),
        "1 open 127.0.0.1:54321\n\
         2 open 127.0.0.1:54321\n\
         1 in: \"a\\x00\"\n\
         1 out: \"a\\x00\"\n\
         2 in: \"bye\"\n\
         2 close\n\
         2 lost: ConnectionDone: Connection was closed cleanly.\n"
    );
    assert_eq!(st1.value(), b"a\x00");
    assert!(st2.disconnecting());
}

#[test]
fn spewing_shows_bytes_in_and_out() {
    let (buffer, text) = log_buffer();
    let mut factory = SpewingFactory::new(|_| Some(Echo), Spewing::new(LogSink::writer(buffer)));
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(
        factory.build_protocol(Address::Pipe).unwrap(),
        &st,
        &Clock::new(),
    )
    .unwrap();
    h.data_received(b"hi\r\n").unwrap();
    assert_eq!(text(), "< \"hi\\r\\n\"\n> \"hi\\r\\n\"\n");
    assert_eq!(st.value(), b"hi\r\n");
}

#[test]
fn the_default_sink_is_tracing() {
    let mut factory = SpewingFactory::new(|_| Some(Echo), Spewing::default());
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(
        factory.build_protocol(Address::Pipe).unwrap(),
        &st,
        &Clock::new(),
    )
    .unwrap();
    h.data_received(b"x").unwrap();
    assert_eq!(st.value(), b"x");
    assert_eq!(
        format!("{:?}", LogSink::tracing()),
        "LogSink { to: \"tracing\" }"
    );
}

#[test]
fn long_chunks_are_cut_to_the_length_limit() {
    let (buffer, text) = log_buffer();
    let logging = TrafficLogging::new(LogSink::writer(buffer)).length_limit(4);
    let mut factory = TrafficLoggingFactory::new(|_| Some(Echo), logging);
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(
        factory.build_protocol(Address::Pipe).unwrap(),
        &st,
        &Clock::new(),
    )
    .unwrap();
    h.data_received(b"0123456789").unwrap();
    h.data_received(b"0123").unwrap();
    assert_eq!(
        text(),
        "1 open 127.0.0.1:54321\n\
         1 in: \"0123\"<... 6 more>\n\
         1 out: \"0123\"<... 6 more>\n\
         1 in: \"0123\"\n\
         1 out: \"0123\"\n"
    );
    assert_eq!(st.value(), b"01234567890123");
}
