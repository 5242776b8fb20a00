//! ReconnectingClientFactory on the memory reactor and the fake clock.

use std::time::Duration;

use super::ReconnectingClientFactory;
use crate::error::{ConnectionLost, ConnectionRefused};
use crate::testing::{MemoryReactor, StringTransport};
use crate::{Address, ClientFactory, Failure, Protocol, ReactorTcp};

struct Quiet;
impl Protocol for Quiet {}

struct Quiets;
impl ClientFactory for Quiets {
    type Protocol = Quiet;
    fn build_protocol(&mut self, _addr: Address) -> Option<Quiet> {
        Some(Quiet)
    }
}

fn refused() -> Failure {
    Failure::new(ConnectionRefused {
        os_error: std::io::Error::from_raw_os_error(111),
    })
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// A factory without jitter, so delays are exact.
fn steady(reactor: &MemoryReactor) -> ReconnectingClientFactory<Quiets> {
    ReconnectingClientFactory::new(Quiets, reactor).jitter(0.0)
}

#[test]
fn a_failed_attempt_is_retried_after_a_growing_delay() {
    let reactor = MemoryReactor::new();
    let factory = steady(&reactor);
    let connector = reactor.connect_tcp("10.0.0.1", 80, factory.clone());
    connector.connection_failed(refused());
    let first = std::f64::consts::E;
    assert!(factory.retry_pending());
    reactor.advance(secs(first - 0.01));
    assert_eq!(connector.attempts(), 1);
    reactor.advance(secs(0.02));
    assert_eq!(connector.attempts(), 2, "retried after e seconds");
    connector.connection_failed(refused());
    assert!((factory.delay().as_secs_f64() - first * first).abs() < 1e-6);
    assert_eq!(factory.retries(), 2);
}

#[test]
fn the_delay_is_capped() {
    let reactor = MemoryReactor::new();
    let factory = steady(&reactor).max_delay(Duration::from_secs(5));
    let connector = reactor.connect_tcp("10.0.0.1", 80, factory.clone());
    for _ in 0..4 {
        connector.connection_failed(refused());
        reactor.advance(Duration::from_secs(5));
    }
    assert_eq!(factory.delay(), Duration::from_secs(5));
    assert_eq!(connector.attempts(), 5);
}

#[test]
fn a_successful_connection_resets_the_delay_and_a_loss_retries() {
    let reactor = MemoryReactor::new();
    let factory = steady(&reactor);
    let connector = reactor.connect_tcp("10.0.0.1", 80, factory.clone());
    connector.connection_failed(refused());
    reactor.advance(Duration::from_secs(3));
    let st = StringTransport::new();
    let _h = connector.connection_succeeded::<Quiet>(&st).unwrap();
    assert_eq!(factory.retries(), 0);
    assert_eq!(factory.delay(), Duration::from_secs(1));
    connector.connection_lost(Failure::new(ConnectionLost { os_error: None }));
    assert!(factory.retry_pending());
    reactor.advance(secs(std::f64::consts::E));
    assert_eq!(connector.attempts(), 3);
}

#[test]
fn max_retries_gives_up() {
    let reactor = MemoryReactor::new();
    let factory = steady(&reactor).max_retries(Some(2));
    let connector = reactor.connect_tcp("10.0.0.1", 80, factory.clone());
    for _ in 0..2 {
        connector.connection_failed(refused());
        reactor.advance(Duration::from_secs(3600));
    }
    connector.connection_failed(refused());
    assert!(!factory.retry_pending(), "two retries, then no more");
    reactor.advance(Duration::from_secs(3600));
    assert_eq!(connector.attempts(), 3);
}

#[test]
fn stop_trying_cancels_the_retry_and_the_attempt() {
    let reactor = MemoryReactor::new();
    let factory = steady(&reactor);
    let connector = reactor.connect_tcp("10.0.0.1", 80, factory.clone());
    connector.connection_failed(refused());
    factory.stop_trying();
    reactor.advance(Duration::from_secs(10));
    assert_eq!(connector.attempts(), 1, "no retry after stop_trying");

    // An attempt in progress is stopped (and fails with UserError): not retried.
    let factory = steady(&reactor);
    let connector = reactor.connect_tcp("10.0.0.2", 80, factory.clone());
    reactor.advance(Duration::ZERO);
    factory.stop_trying();
    reactor.advance(Duration::ZERO);
    assert!(connector.stopped_connecting());
    reactor.advance(Duration::from_secs(10));
    assert_eq!(connector.attempts(), 1);
}

#[test]
fn jitter_spreads_the_delay_around_its_value() {
    let reactor = MemoryReactor::new();
    let factory = ReconnectingClientFactory::new(Quiets, &reactor)
        .jitter(0.5)
        .normal_source(|| 1.0);
    let connector = reactor.connect_tcp("10.0.0.1", 80, factory.clone());
    connector.connection_failed(refused());
    let expected = std::f64::consts::E * 1.5;
    assert!((factory.delay().as_secs_f64() - expected).abs() < 1e-6);
}
