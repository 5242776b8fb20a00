//! A throttled, logged, limited echo with an idle timeout: every policy over the others.

use std::time::Duration;

use super::{log_buffer, Echo};
use crate::error::ConnectionDone;
use crate::protocols::policies::{
    IdleClose, LimitTotalConnections, LimitTotalConnectionsFactory, LogSink, Throttling,
    ThrottlingFactory, TimeoutFactory, TrafficLogging, TrafficLoggingFactory,
};
use crate::testing::{Clock, ProtocolHarness, StringTransport};
use crate::{Address, Factory, Failure};

const SEC: Duration = Duration::from_secs(1);

#[test]
fn policies_stack_over_any_protocol() {
    let clock = Clock::new();
    let (buffer, text) = log_buffer();
    let limited = LimitTotalConnectionsFactory::new(|_| Some(Echo), LimitTotalConnections::new(1));
    let throttled = ThrottlingFactory::new(limited, Throttling::new(&clock).write_limit(4));
    let timed = TimeoutFactory::new(throttled, IdleClose::new(10 * SEC));
    let mut logged =
        TrafficLoggingFactory::new(timed, TrafficLogging::new(LogSink::writer(buffer)));
    logged.do_start();

    let st = StringTransport::new();
    let h = ProtocolHarness::connect(logged.build_protocol(Address::Pipe).unwrap(), &st, &clock)
        .unwrap();
    assert!(
        logged.build_protocol(Address::Pipe).is_none(),
        "the innermost limit refuses the second"
    );
    assert_eq!(
        logged.live(),
        1,
        "the refused one is not counted outside either"
    );

    h.data_received(b"12345678").unwrap();
    assert_eq!(st.value(), b"12345678");
    clock.advance(SEC);
    h.data_received(b"later").unwrap();
    assert_eq!(st.value(), b"12345678", "throttled: held back");
    clock.advance(SEC);
    assert_eq!(st.value_str(), "12345678later");
    assert_eq!(
        text(),
        "1 open 127.0.0.1:54321\n1 in: \"12345678\"\n1 out: \"12345678\"\n\
         1 in: \"later\"\n1 out: \"later\"\n",
        "the logger is outermost: it sees writes before the throttle holds them"
    );

    clock.advance(10 * SEC);
    assert!(st.disconnecting(), "idle for 10 s");
    h.connection_lost(Failure::new(ConnectionDone));
    assert_eq!(logged.live(), 0);
    let again = logged.build_protocol(Address::Pipe);
    assert!(again.is_some(), "room again for one");
}
