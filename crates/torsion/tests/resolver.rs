//! Name resolution through the reactor's resolver: `connect_tcp`, `HostnameEndpoint` and
//! `resolve_host_name` use the installed resolver; lookups time out and cancel.

mod util;

use std::net::IpAddr;
use std::rc::Rc;
use std::time::Duration;

use torsion::endpoints::HostnameEndpoint;
use torsion::error::{CancelledError, DnsLookupError, UserError};
use torsion::resolver::HostnameResolver;
use torsion::testing::FakeResolver;
use util::{Echo, Record, Recorder, RecordingClientFactory};

fn loopback() -> IpAddr {
    "127.0.0.1".parse().unwrap()
}

#[test]
fn connect_tcp_resolves_names_with_the_installed_resolver() {
    let reactor = util::reactor();
    let port = util::listen(&reactor, |_peer| Some(Echo));
    let resolver = FakeResolver::new();
    resolver.add("service.test", &[loopback()]);
    reactor.install_name_resolver(resolver.clone());
    let record = Record::new();
    let mut factory = RecordingClientFactory::stopping(&record, &reactor);
    factory.greeting = b"through the fake name".to_vec();
    reactor.connect_tcp("service.test", port.get_host().port(), factory);
    let r = record.clone();
    util::run_until(&reactor, move || r.data_len() >= 21);
    assert_eq!(record.data(), b"through the fake name");
    assert_eq!(
        resolver.queries(),
        [("service.test".to_string(), port.get_host().port())]
    );
}

#[test]
fn an_address_literal_never_reaches_the_resolver() {
    let reactor = util::reactor();
    let port = util::listen(&reactor, |_peer| Some(Echo));
    let resolver = FakeResolver::new();
    reactor.install_name_resolver(resolver.clone());
    let record = Record::new();
    reactor.connect_tcp(
        "127.0.0.1",
        port.get_host().port(),
        RecordingClientFactory::stopping(&record, &reactor),
    );
    let r = record.clone();
    util::run_until(&reactor, move || r.has("connection_made"));
    assert!(resolver.queries().is_empty());
}

#[test]
fn hostname_endpoint_uses_the_installed_resolver() {
    let reactor = util::reactor();
    let port = util::listen(&reactor, |_peer| Some(Echo));
    let resolver = FakeResolver::new();
    resolver.add("both.test", &[loopback()]);
    reactor.install_name_resolver(resolver.clone());
    let record = Record::new();
    let rec = record.clone();
    let connected = HostnameEndpoint::new(&reactor, "both.test", port.get_host().port())
        .connect(move |_addr| Some(Recorder::new(&rec)));
    let d = connected.clone();
    util::run_until(&reactor, move || d.called());
    assert!(connected.take_result().unwrap().is_ok());
    assert_eq!(resolver.queries().len(), 1);
}

#[test]
fn a_lookup_with_no_answer_times_out_as_a_dns_failure_and_is_cancelled() {
    let reactor = util::reactor();
    let resolver = FakeResolver::new();
    resolver.hold("silent.test");
    reactor.install_name_resolver(resolver.clone());
    reactor.set_lookup_timeout(Some(Duration::from_millis(30)));
    let lookup = reactor.resolve_host_name("silent.test", 53);
    let d = lookup.clone();
    util::run_until(&reactor, move || d.called());
    let failure = lookup.take_result().unwrap().unwrap_err();
    let dns = failure
        .downcast_ref::<DnsLookupError>()
        .expect("a DnsLookupError");
    assert_eq!(dns.host, "silent.test");
    assert!(dns.detail.contains("no answer within"), "{}", dns.detail);
    assert_eq!(
        resolver.cancelled(),
        1,
        "the resolver was told to forget it"
    );
}

#[test]
fn connect_tcp_fails_with_the_lookup_timeout() {
    let reactor = util::reactor();
    let resolver = FakeResolver::new();
    resolver.hold("silent.test");
    reactor.install_name_resolver(resolver.clone());
    reactor.set_lookup_timeout(Some(Duration::from_millis(30)));
    let record = Record::new();
    reactor.connect_tcp(
        "silent.test",
        80,
        RecordingClientFactory::stopping(&record, &reactor),
    );
    util::run(&reactor);
    assert!(
        record.has("client_connection_failed:DnsLookupError"),
        "{:?}",
        record.events()
    );
    assert_eq!(resolver.cancelled(), 1);
}

#[test]
fn stop_connecting_cancels_the_lookup_under_way() {
    let reactor = util::reactor();
    let resolver = FakeResolver::new();
    resolver.hold("slow.test");
    reactor.install_name_resolver(resolver.clone());
    let record = Record::new();
    let connector = reactor.connect_tcp(
        "slow.test",
        80,
        RecordingClientFactory::stopping(&record, &reactor),
    );
    let r = resolver.clone();
    util::run_until(&reactor, move || !r.queries().is_empty());
    connector.stop_connecting();
    util::run(&reactor);
    assert_eq!(resolver.cancelled(), 1);
    assert!(record.last_reason().check::<UserError>());
    resolver.answer("slow.test", &[loopback()]);
    assert!(
        !record.has("connection_made"),
        "a late answer starts nothing: {:?}",
        record.events()
    );
}

#[test]
fn cancelling_a_lookup_reaches_the_resolver() {
    let reactor = util::reactor();
    let resolver = FakeResolver::new();
    resolver.hold("slow.test");
    reactor.install_name_resolver(resolver.clone());
    let lookup = reactor.resolve_host_name("slow.test", 80);
    lookup.cancel();
    assert!(lookup
        .take_result()
        .unwrap()
        .unwrap_err()
        .check::<CancelledError>());
    assert_eq!(resolver.cancelled(), 1);
}

#[test]
fn a_name_that_resolves_to_nothing_is_a_dns_failure() {
    let reactor = util::reactor();
    let resolver = FakeResolver::new();
    resolver.add("empty.test", &[]);
    reactor.install_name_resolver(resolver);
    let failure = reactor
        .resolve_host_name("empty.test", 80)
        .take_result()
        .unwrap()
        .unwrap_err();
    assert!(failure.to_string().contains("no addresses"), "{failure}");
}

#[test]
fn installing_gives_back_the_previous_resolver() {
    let reactor = util::reactor();
    let first = FakeResolver::new();
    first.add("a.test", &[loopback()]);
    reactor.install_name_resolver(first);
    let previous: Rc<dyn HostnameResolver> = reactor.install_name_resolver(FakeResolver::new());
    assert!(previous
        .resolve_host_name("a.test", 1)
        .take_result()
        .unwrap()
        .is_ok());
    assert!(reactor
        .resolve_host_name("a.test", 1)
        .take_result()
        .unwrap()
        .is_err());
}

#[test]
fn the_system_resolver_answers_localhost_from_the_loop() {
    let reactor = util::reactor();
    let lookup = reactor.resolve_host_name("localhost", 8080);
    assert!(!lookup.called(), "a name is looked up off the loop");
    let d = lookup.clone();
    util::run_until(&reactor, move || d.called());
    let addrs = lookup.take_result().unwrap().unwrap();
    assert!(addrs
        .iter()
        .all(|a| a.port() == 8080 && a.ip().is_loopback()));
}
