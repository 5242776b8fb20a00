//! TLS endpoints over loopback: servers from `ssl:` descriptions, clients from `tls:`
//! descriptions and `wrap_client_tls`, verification (unknown CA, name mismatch, client
//! certificates from `caCertsDir`), and the errors of bad descriptions.

mod tls_util;
mod util;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use tls_util::Pki;
use torsion::defer::Deferred;
use torsion::endpoints::{
    client_from_string, quote_argument, server_from_string, wrap_client_tls, ClientEndpoint,
    DescriptionError, TcpClientEndpoint,
};
use torsion::error::{CancelledError, ConnectionRefused};
use torsion::tls::{TlsError, TlsErrorKind};
use torsion::{Cx, Failure, Protocol, Reactor};
use util::{closed_port, reactor, run, run_until};

/// A directory under the system's temp dir, removed with what it holds when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "torsion-endpoints-tls-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `text` to `name` inside, and returns the path quoted for a description.
    fn write(&self, name: &str, text: &str) -> String {
        let path = Pki::write(&self.0, name, text);
        quote_argument(path.to_str().unwrap())
    }

    /// A subdirectory holding `name` with `text`, quoted for a description.
    fn dir_with(&self, dir: &str, name: &str, text: &str) -> String {
        let path = self.0.join(dir);
        std::fs::create_dir_all(&path).unwrap();
        Pki::write(&path, name, text);
        quote_argument(path.to_str().unwrap())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

/// Says hello, keeps what comes back, and notes how the connection ended.
#[derive(Default, Clone)]
struct Seen {
    got: Rc<RefCell<Vec<u8>>>,
    lost: Rc<RefCell<Option<Failure>>>,
    version: Rc<RefCell<Option<&'static str>>>,
    /// What the connect Deferred fired with: the peer's address, or the failure.
    fired: Rc<RefCell<Option<Result<String, Failure>>>>,
}

struct Hello(Seen);

impl Protocol for Hello {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(b"hello");
    }
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        self.0.got.borrow_mut().extend_from_slice(data);
        *self.0.version.borrow_mut() = cx.transport().tls_version();
        if self.0.got.borrow().as_slice() == b"hello" {
            cx.transport().lose_connection();
        }
    }
    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        *self.0.lost.borrow_mut() = Some(reason.clone());
    }
}

/// Runs the reactor until `d` has its result, and takes it.
fn settle<T: 'static>(reactor: &Reactor, d: Deferred<T>) -> Result<T, Failure> {
    let r = reactor.clone();
    let d = d.add_both(move |outcome| {
        r.stop();
        outcome
    });
    run(reactor);
    d.take_result().expect("settled")
}

/// Listens with an echo server on the `ssl:` description `description`; returns its port.
fn listen_echo(reactor: &Reactor, description: &str) -> u16 {
    let endpoint = server_from_string(reactor, description).unwrap();
    let port = endpoint.listen(|_peer| Some(Echo)).take_result().unwrap();
    port.unwrap().get_host().port().unwrap()
}

/// Connects a [`Hello`] through each endpoint at once, and runs until every connection is
/// lost. All in one run: stopping the reactor closes its connections and ports.
fn hellos(reactor: &Reactor, endpoints: &[ClientEndpoint]) -> Vec<Seen> {
    let mut all = Vec::new();
    for endpoint in endpoints {
        let seen = Seen::default();
        let s = seen.clone();
        let fired = seen.fired.clone();
        let lost = seen.lost.clone();
        let _ = endpoint
            .connect(move |_peer| Some(Hello(s.clone())))
            .add_both(move |outcome| {
                let outcome = outcome.map(|handle| handle.transport().get_peer().to_string());
                let outcome = match lost.borrow().is_some() {
                    true => Err(Failure::new(std::io::Error::other("fired after the loss"))),
                    false => outcome,
                };
                *fired.borrow_mut() = Some(outcome);
                Ok::<(), Failure>(())
            });
        all.push(seen);
    }
    let watched = all.clone();
    run_until(reactor, move || {
        watched.iter().all(|seen| {
            let failed = matches!(*seen.fired.borrow(), Some(Err(_)));
            failed || seen.lost.borrow().is_some()
        })
    });
    for seen in &all {
        let fired = seen.fired.borrow();
        let peer = fired
            .as_ref()
            .expect("settled")
            .as_ref()
            .expect("connected");
        assert!(peer.contains("127.0.0.1"), "{peer}");
    }
    all
}

/// [`hellos`] with one endpoint.
fn hello_through(reactor: &Reactor, endpoint: &ClientEndpoint) -> Seen {
    hellos(reactor, std::slice::from_ref(endpoint)).remove(0)
}

fn tls_kind(seen: &Seen) -> Option<TlsErrorKind> {
    let lost = seen.lost.borrow();
    lost.as_ref()
        .and_then(|reason| reason.downcast_ref::<TlsError>())
        .map(TlsError::kind)
}

#[test]
fn an_ssl_server_and_a_tls_client_from_descriptions_echo() {
    let pki = Pki::new();
    let dir = TempDir::new("echo");
    let key = dir.write("key.pem", &pki.server.key);
    let cert = dir.write("cert.pem", &pki.server.cert);
    let roots = dir.dir_with("roots", "ca.pem", &pki.ca.cert);
    let reactor = reactor();
    let port = listen_echo(
        &reactor,
        &format!("ssl:0:interface=127.0.0.1:privateKey={key}:certKey={cert}"),
    );
    let plain = format!("tls:localhost:{port}:trustRoots={roots}");
    // With a bind address, a TcpClientEndpoint connects instead of a HostnameEndpoint.
    let bound = format!("{plain}:bindAddress=127.0.0.1:timeout=5");
    let endpoints = [plain, bound].map(|d| client_from_string(&reactor, &d).unwrap());
    for seen in hellos(&reactor, &endpoints) {
        assert_eq!(seen.got.borrow().as_slice(), b"hello");
        assert_eq!(*seen.version.borrow(), Some("TLSv1.3"));
        let reason = seen.lost.borrow().clone().unwrap();
        assert!(
            reason.check::<torsion::error::ConnectionDone>(),
            "a clean close: {reason}"
        );
    }
}

#[test]
fn one_pem_file_holds_both_key_and_certificate_with_an_extra_chain() {
    let pki = Pki::new();
    let dir = TempDir::new("combined");
    let combined = dir.write(
        "server.pem",
        &format!("{}{}", pki.server.key, pki.server.cert),
    );
    let chain = dir.write("chain.pem", &pki.ca.cert);
    let reactor = reactor();
    let port = listen_echo(
        &reactor,
        &format!("ssl:port=0:interface=127.0.0.1:privateKey={combined}:extraCertChain={chain}"),
    );
    let tcp = TcpClientEndpoint::new(&reactor, "127.0.0.1", port);
    let client = wrap_client_tls(pki.client_options("localhost"), tcp).into();
    let seen = hello_through(&reactor, &client);
    assert_eq!(seen.got.borrow().as_slice(), b"hello");
}

#[test]
fn a_server_signed_by_an_untrusted_ca_is_refused_after_the_deferred_fired() {
    let pki = Pki::new();
    let dir = TempDir::new("rogue");
    let combined = dir.write(
        "rogue.pem",
        &format!("{}{}", pki.rogue_server.cert, pki.rogue_server.key),
    );
    let roots = dir.dir_with("roots", "ca.pem", &pki.ca.cert);
    let reactor = reactor();
    let port = listen_echo(&reactor, &format!("ssl:0:{combined}:interface=127.0.0.1"));
    let client = client_from_string(
        &reactor,
        &format!("tls:host=localhost:port={port}:trustRoots={roots}"),
    )
    .unwrap();
    let seen = hello_through(&reactor, &client);
    assert!(
        seen.got.borrow().is_empty(),
        "nothing goes over a refused handshake"
    );
    assert_eq!(
        tls_kind(&seen),
        Some(TlsErrorKind::UnknownIssuer),
        "{:?}",
        seen.lost
    );
}

#[test]
fn a_tls_client_through_an_inner_endpoint_checks_the_host_name() {
    let pki = Pki::new();
    let dir = TempDir::new("mismatch");
    let key = dir.write("key.pem", &pki.server.key);
    let cert = dir.write("cert.pem", &pki.server.cert);
    let roots = dir.dir_with("roots", "ca.pem", &pki.ca.cert);
    let reactor = reactor();
    let port = listen_echo(&reactor, &format!("ssl:0:{key}:{cert}:interface=127.0.0.1"));
    let inner = quote_argument(&format!("tcp:127.0.0.1:{port}"));
    let wrong = format!("tls:example.org:endpoint={inner}:trustRoots={roots}");
    let right = format!("tls:localhost:endpoint={inner}:trustRoots={roots}");
    let endpoints = [wrong, right].map(|d| client_from_string(&reactor, &d).unwrap());
    let [wrong, right] = <[Seen; 2]>::try_from(hellos(&reactor, &endpoints))
        .ok()
        .unwrap();
    assert_eq!(
        tls_kind(&wrong),
        Some(TlsErrorKind::NameMismatch),
        "{:?}",
        wrong.lost
    );
    assert_eq!(right.got.borrow().as_slice(), b"hello");
}

#[test]
fn ca_certs_dir_requires_a_client_certificate_signed_by_its_authorities() {
    let pki = Pki::new();
    let dir = TempDir::new("clientauth");
    let key = dir.write("key.pem", &pki.server.key);
    let cert = dir.write("cert.pem", &pki.server.cert);
    let roots = dir.dir_with("roots", "ca.pem", &pki.ca.cert);
    let client_cert = dir.write("client.pem", &pki.client.cert);
    let client_key = dir.write("client-key.pem", &pki.client.key);
    let reactor = reactor();
    let port = listen_echo(
        &reactor,
        &format!("ssl:0:privateKey={key}:certKey={cert}:interface=127.0.0.1:caCertsDir={roots}"),
    );
    let plain = format!("tls:localhost:{port}:trustRoots={roots}");

    let with_cert = format!("{plain}:certificate={client_cert}:privateKey={client_key}");
    let endpoints = [plain, with_cert].map(|d| client_from_string(&reactor, &d).unwrap());
    let [anonymous, known] = <[Seen; 2]>::try_from(hellos(&reactor, &endpoints))
        .ok()
        .unwrap();
    assert!(
        anonymous.got.borrow().is_empty(),
        "served without a certificate"
    );
    let reason = anonymous.lost.borrow().clone().unwrap();
    assert!(reason.check::<TlsError>(), "{reason}");
    assert_eq!(known.got.borrow().as_slice(), b"hello");
}

#[test]
fn a_refused_connection_fails_the_deferred_and_a_cancel_stops_the_attempt() {
    let reactor = reactor();
    let inner = quote_argument(&format!("tcp:127.0.0.1:{}", closed_port()));
    let client = client_from_string(&reactor, &format!("tls:localhost:endpoint={inner}")).unwrap();
    let failure = settle(&reactor, client.connect(|_peer| Some(Echo))).unwrap_err();
    assert!(failure.check::<ConnectionRefused>(), "{failure}");

    // 192.0.2.0/24 is TEST-NET-1: nothing answers, so the attempt is still in flight.
    let far = wrap_client_tls(
        torsion::tls::options_for_client_tls("localhost").unwrap(),
        TcpClientEndpoint::new(&reactor, "192.0.2.1", 443),
    );
    let d = far.connect(|_peer| Some(Echo));
    d.cancel();
    let failure = d.take_result().expect("cancelled at once").unwrap_err();
    assert!(failure.check::<CancelledError>(), "{failure}");
}

#[test]
fn bad_ssl_descriptions_say_what_is_wrong() {
    let pki = Pki::new();
    let dir = TempDir::new("bad-server");
    let key = dir.write("key.pem", &pki.server.key);
    let other_key = dir.write("other-key.pem", &pki.client.key);
    let cert = dir.write("cert.pem", &pki.server.cert);
    let missing = quote_argument(dir.path().join("absent.pem").to_str().unwrap());
    let keys_only = dir.dir_with("keys", "key.pem", &pki.server.key);
    let reactor = reactor();
    let error = |description: String| {
        server_from_string(&reactor, &description)
            .map(|_| ())
            .unwrap_err()
            .downcast_ref::<DescriptionError>()
            .expect("a DescriptionError")
            .to_string()
    };

    assert_eq!(error("ssl:0".into()), r#"missing privateKey in "ssl:0""#);
    let err = error(format!("ssl:0:privateKey={missing}"));
    assert!(err.starts_with("privateKey \""), "{err}");
    assert!(
        err.contains("absent.pem") && err.contains("cannot be read"),
        "{err}"
    );
    let err = error(format!("ssl:0:privateKey={other_key}:certKey={cert}"));
    assert!(err.contains("do not make a certificate"), "{err}");
    let err = error(format!(
        "ssl:0:privateKey={key}:certKey={cert}:extraCertChain={key}"
    ));
    assert!(
        err.contains("extraCertChain") && err.contains("no PEM certificate"),
        "{err}"
    );
    let err = error(format!(
        "ssl:0:privateKey={key}:certKey={cert}:caCertsDir={missing}"
    ));
    assert!(
        err.contains("caCertsDir") && err.contains("cannot be read"),
        "{err}"
    );
    let err = error(format!(
        "ssl:0:privateKey={key}:certKey={cert}:sslmethod=TLSv1_METHOD"
    ));
    assert!(err.contains(r#"unknown keyword "sslmethod""#), "{err}");
    // A directory whose .pem files hold no certificate (only keys) trusts nobody.
    let err = error(format!(
        "ssl:0:privateKey={key}:certKey={cert}:caCertsDir={keys_only}"
    ));
    assert!(
        err.contains("holds no *.pem file with a certificate"),
        "{err}"
    );
}

#[test]
fn bad_tls_descriptions_say_what_is_wrong() {
    let dir = TempDir::new("bad-client");
    let missing = quote_argument(dir.path().join("absent.pem").to_str().unwrap());
    let reactor = reactor();
    let error = |description: String| {
        client_from_string(&reactor, &description)
            .map(|_| ())
            .unwrap_err()
            .downcast_ref::<DescriptionError>()
            .expect("a DescriptionError")
            .to_string()
    };
    assert_eq!(
        error("tls:example.org".into()),
        r#"missing port in "tls:example.org""#
    );
    let err = error(format!("tls:example.org:443:certificate={missing}"));
    assert!(
        err.starts_with("certificate \"") && err.contains("cannot be read"),
        "{err}"
    );
    let err = error(format!("tls:example.org:443:trustRoots={missing}"));
    assert!(
        err.starts_with("trustRoots \"") && err.contains("cannot be read"),
        "{err}"
    );
    let err = error(r"tls:example.org:endpoint=tls\:a\:1".into());
    assert!(err.contains("TLS inside TLS"), "{err}");
    let err = error("tls:exa mple:443".into());
    assert!(err.starts_with(r#"host name "exa mple""#), "{err}");
}

/// Closes the first `drops` connections once their handshake is over; keeps the others.
struct Flaky {
    drop_it: bool,
}

impl Protocol for Flaky {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        if self.drop_it {
            cx.transport().lose_connection();
        }
    }
}

struct Quiet;
impl Protocol for Quiet {}

#[test]
fn a_client_service_on_a_tls_endpoint_reconnects_after_each_loss() {
    let pki = Pki::new();
    let reactor = reactor();
    let accepted = Rc::new(std::cell::Cell::new(0));
    let a = accepted.clone();
    let port = reactor
        .listen_tls_with(
            0,
            move |_peer| {
                a.set(a.get() + 1);
                Some(Flaky {
                    drop_it: a.get() <= 2,
                })
            },
            pki.server_options(),
            torsion::ListenOptions {
                interface: "127.0.0.1".into(),
                ..torsion::ListenOptions::default()
            },
        )
        .unwrap()
        .get_host()
        .port();
    let tcp = TcpClientEndpoint::new(&reactor, "127.0.0.1", port);
    let endpoint = wrap_client_tls(pki.client_options("localhost"), tcp).into();
    let built = Rc::new(std::cell::Cell::new(0));
    let b = built.clone();
    let service = torsion::ClientService::new(
        endpoint,
        move |_addr| {
            b.set(b.get() + 1);
            Some(Quiet)
        },
        &reactor,
    )
    .retry_policy(|_failures| std::time::Duration::from_millis(5));
    service.start_service();
    let s = service.clone();
    run_until(&reactor, move || {
        if accepted.get() < 3 {
            return false;
        }
        let now = s.when_connected();
        let connected = now.take_result().is_some_and(|r| r.is_ok());
        if !connected {
            now.cancel();
            drop(now.take_result());
        }
        connected
    });
    assert_eq!(
        built.get(),
        3,
        "one protocol per TLS connection, the third kept"
    );
}

#[test]
fn a_factory_that_builds_no_protocol_fails_the_deferred_with_no_protocol() {
    let pki = Pki::new();
    let reactor = reactor();
    let port = reactor
        .listen_tls(0, |_peer| Some(Echo), pki.server_options())
        .unwrap()
        .get_host()
        .port();
    let tcp = TcpClientEndpoint::new(&reactor, "127.0.0.1", port);
    let endpoint = wrap_client_tls(pki.client_options("localhost"), tcp);
    let failure = settle(&reactor, endpoint.connect(|_peer| None::<Echo>)).unwrap_err();
    assert!(failure.check::<torsion::error::NoProtocol>(), "{failure}");
}

#[test]
fn a_tls_client_reaches_a_unix_socket_through_endpoint() {
    let pki = Pki::new();
    let dir = TempDir::new("unix");
    let roots = dir.dir_with("roots", "ca.pem", &pki.ca.cert);
    let socket = dir.path().join("tls.sock");
    let reactor = reactor();
    reactor
        .listen_unix(
            socket.clone(),
            torsion::tls::TlsFactory::new(|_peer| Some(Echo), pki.server_options()),
        )
        .unwrap();
    let inner = quote_argument(&format!("unix:{}", socket.display()));
    let description = format!("tls:localhost:endpoint={inner}:trustRoots={roots}");
    let endpoint = client_from_string(&reactor, &description).unwrap();
    let seen = Seen::default();
    let s = seen.clone();
    let _ = endpoint.connect(move |_peer| Some(Hello(s.clone())));
    let lost = seen.lost.clone();
    run_until(&reactor, move || lost.borrow().is_some());
    assert_eq!(seen.got.borrow().as_slice(), b"hello", "{:?}", seen.lost);
    assert_eq!(*seen.version.borrow(), Some("TLSv1.3"));
}

#[test]
fn an_ssl_client_description_connects_by_address_and_verifies_its_hostname() {
    let pki = Pki::new();
    let dir = TempDir::new("ssl-client");
    let key = dir.write("key.pem", &pki.server.key);
    let cert = dir.write("cert.pem", &pki.server.cert);
    let roots = dir.dir_with("roots", "ca.pem", &pki.ca.cert);
    let reactor = reactor();
    let port = listen_echo(&reactor, &format!("ssl:0:{key}:{cert}:interface=127.0.0.1"));
    let right = format!("ssl:127.0.0.1:{port}:hostname=localhost:caCertsDir={roots}");
    let wrong = format!("ssl:127.0.0.1:{port}:hostname=example.org:caCertsDir={roots}");
    let endpoints = [right, wrong].map(|d| client_from_string(&reactor, &d).unwrap());
    let [right, wrong] = <[Seen; 2]>::try_from(hellos(&reactor, &endpoints))
        .ok()
        .unwrap();
    assert_eq!(right.got.borrow().as_slice(), b"hello");
    assert_eq!(
        tls_kind(&wrong),
        Some(TlsErrorKind::NameMismatch),
        "{:?}",
        wrong.lost
    );
}
