//! What TLS verification promises, torsion server against torsion client over loopback:
//! a verified handshake (TLS 1.3, or 1.2 with a server limited to it), an unknown CA, a
//! wrong name and an expired certificate refused with the reason on both sides (also after
//! `start_tls`), verification turned off for tests, client certificates, ALPN, SNI, and
//! options that cannot be built.

mod tls_util;
mod tls_verify_util;
mod util;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::rc::Rc;

use tls_util::Pki;
use tls_verify_util::{
    assert_handshake_failed, der, exchange, expired_localhost, tls_error, Outcome, Seen,
};
use torsion::error::ConnectionDone;
use torsion::tls::{
    options_for_client_tls, ClientOptions, ServerOptions, TlsConfigError, TlsErrorKind,
};
use torsion::{Address, ClientFactory, Connector, Cx, Failure, Protocol};

/// Both sides exchanged `ping` and closed cleanly.
fn assert_echoed(outcome: &Outcome) {
    assert_eq!(outcome.client.data.borrow().as_slice(), b"ping");
    assert_eq!(outcome.server.data.borrow().as_slice(), b"ping");
    let lost = outcome.client.lost_reason();
    assert!(lost.check::<ConnectionDone>(), "client lost: {lost}");
    let lost = outcome.server.lost_reason();
    assert!(lost.check::<ConnectionDone>(), "server lost: {lost}");
}

/// The client's protocol and its factory both got a handshake failure of `kind`, and no
/// plaintext crossed.
fn assert_client_refused(outcome: &Outcome, kind: TlsErrorKind) {
    assert_handshake_failed(&outcome.client.lost_reason(), kind);
    let factory = outcome.client.factory_reason.borrow().clone().unwrap();
    assert!(
        !outcome.client.factory_failed.get(),
        "the connection was made, so the factory hears client_connection_lost"
    );
    assert_handshake_failed(&factory, kind);
    assert!(outcome.client.data.borrow().is_empty());
    assert!(outcome.server.data.borrow().is_empty());
}

#[test]
fn a_verified_handshake_speaks_tls_1_3_and_shows_the_server_chain() {
    let pki = Pki::new();
    let outcome = exchange(pki.server_options(), pki.client_options("localhost"));
    assert_echoed(&outcome);
    let client = outcome.client.facts();
    assert_eq!(client.version, Some("TLSv1.3"));
    assert_eq!(client.alpn, None);
    assert_eq!(
        client.peer_certificates.unwrap()[0],
        der(&pki.server.cert),
        "the client sees the server's own certificate first"
    );
    let server = outcome.server.facts();
    assert_eq!(server.version, Some("TLSv1.3"));
    assert_eq!(
        server.peer_certificates, None,
        "a client not asked for a certificate presents none"
    );
}

#[test]
fn a_client_trusting_another_ca_refuses_the_server() {
    let pki = Pki::new();
    let client = options_for_client_tls("localhost")
        .unwrap()
        .with_trust_root_pem(pki.other_ca.cert.as_bytes())
        .unwrap();
    let outcome = exchange(pki.server_options(), client);
    assert_client_refused(&outcome, TlsErrorKind::UnknownIssuer);
    // The client's `unknown_ca` alert tells the server why.
    assert_handshake_failed(&outcome.server.lost_reason(), TlsErrorKind::UnknownIssuer);
    let server = tls_error(&outcome.server.lost_reason());
    assert!(server.detail().contains("UnknownCA"), "{server}");
}

#[test]
fn a_server_presenting_a_rogue_certificate_is_refused() {
    let pki = Pki::new();
    let rogue = ServerOptions::from_pem(
        pki.rogue_server.cert.as_bytes(),
        pki.rogue_server.key.as_bytes(),
    )
    .unwrap();
    let outcome = exchange(rogue, pki.client_options("localhost"));
    assert_client_refused(&outcome, TlsErrorKind::UnknownIssuer);
    let client = tls_error(&outcome.client.lost_reason());
    assert!(
        client.to_string().contains("unknown authority"),
        "the message says why: {client}"
    );
    assert_handshake_failed(&outcome.server.lost_reason(), TlsErrorKind::UnknownIssuer);
}

#[test]
fn a_certificate_for_another_name_is_refused() {
    let pki = Pki::new();
    let outcome = exchange(pki.server_options(), pki.client_options("example.org"));
    assert_client_refused(&outcome, TlsErrorKind::NameMismatch);
    let client = tls_error(&outcome.client.lost_reason());
    assert!(
        client.to_string().contains("not valid for the name"),
        "{client}"
    );
    // rustls answers a name mismatch with a `bad_certificate` alert.
    assert_handshake_failed(&outcome.server.lost_reason(), TlsErrorKind::BadCertificate);
}

#[test]
fn an_expired_certificate_is_refused() {
    let (ca, expired) = expired_localhost();
    let server = ServerOptions::from_pem(expired.cert.as_bytes(), expired.key.as_bytes()).unwrap();
    let client = options_for_client_tls("localhost")
        .unwrap()
        .with_trust_root_pem(ca.as_bytes())
        .unwrap();
    let outcome = exchange(server, client);
    assert_client_refused(&outcome, TlsErrorKind::Expired);
    let client = tls_error(&outcome.client.lost_reason());
    assert!(client.to_string().contains("expired"), "{client}");
    // rustls answers an expired certificate with a `certificate_expired` alert.
    assert_handshake_failed(&outcome.server.lost_reason(), TlsErrorKind::Expired);
}

#[test]
fn a_server_limited_to_tls_1_2_is_spoken_to_in_tls_1_2() {
    let pki = Pki::new();
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS12])
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(der(&pki.server.cert))],
        PrivateKeyDer::from_pem_slice(pki.server.key.as_bytes()).unwrap(),
    )
    .unwrap();
    let server = ServerOptions::from_rustls(std::sync::Arc::new(config));
    let outcome = exchange(server, pki.client_options("localhost"));
    assert_echoed(&outcome);
    assert_eq!(outcome.client.facts().version, Some("TLSv1.2"));
    assert_eq!(outcome.server.facts().version, Some("TLSv1.2"));
}

#[test]
fn skipping_verification_for_tests_connects_to_the_rogue_server() {
    let pki = Pki::new();
    let rogue = ServerOptions::from_pem(
        pki.rogue_server.cert.as_bytes(),
        pki.rogue_server.key.as_bytes(),
    )
    .unwrap();
    let client = pki
        .client_options("localhost")
        .insecure_skip_verification_for_tests();
    assert!(!client.verifies());
    let outcome = exchange(rogue, client);
    assert_echoed(&outcome);
    assert_eq!(
        outcome.client.facts().peer_certificates.unwrap()[0],
        der(&pki.rogue_server.cert)
    );
}

fn requiring_client_certificates(pki: &Pki) -> ServerOptions {
    pki.server_options()
        .require_client_certificates(pki.ca.cert.as_bytes())
        .unwrap()
}

#[test]
fn a_required_client_certificate_signed_by_the_ca_is_accepted() {
    let pki = Pki::new();
    let client = pki
        .client_options("localhost")
        .with_client_certificate(pki.client.cert.as_bytes(), pki.client.key.as_bytes())
        .unwrap();
    let outcome = exchange(requiring_client_certificates(&pki), client);
    assert_echoed(&outcome);
    let chain = outcome.server.facts().peer_certificates.unwrap();
    assert_eq!(chain[0], der(&pki.client.cert));
}

#[test]
fn a_client_without_a_required_certificate_is_refused() {
    let pki = Pki::new();
    let outcome = exchange(
        requiring_client_certificates(&pki),
        pki.client_options("localhost"),
    );
    assert_handshake_failed(
        &outcome.server.lost_reason(),
        TlsErrorKind::CertificateRequired,
    );
    // In TLS 1.3 the client's handshake is over when the server refuses it: the server's
    // `certificate_required` alert arrives as the first record after it.
    let client = tls_error(&outcome.client.lost_reason());
    assert_eq!(client.kind(), TlsErrorKind::CertificateRequired, "{client}");
    assert!(!client.during_handshake(), "{client}");
    assert!(outcome.client.data.borrow().is_empty());
    assert!(outcome.server.data.borrow().is_empty());
}

#[test]
fn a_client_certificate_from_another_ca_is_refused() {
    let pki = Pki::new();
    // The rogue server's certificate is signed by `other_ca`: presented as a client's.
    let stranger = &pki.rogue_server;
    let client = pki
        .client_options("localhost")
        .with_client_certificate(stranger.cert.as_bytes(), stranger.key.as_bytes())
        .unwrap();
    let outcome = exchange(requiring_client_certificates(&pki), client);
    assert_handshake_failed(&outcome.server.lost_reason(), TlsErrorKind::UnknownIssuer);
    let client = tls_error(&outcome.client.lost_reason());
    assert_eq!(client.kind(), TlsErrorKind::UnknownIssuer, "{client}");
    assert!(outcome.server.data.borrow().is_empty());
}

#[test]
fn requested_client_certificates_let_a_client_without_one_in() {
    let pki = Pki::new();
    let server = pki
        .server_options()
        .request_client_certificates(pki.ca.cert.as_bytes())
        .unwrap();
    let outcome = exchange(server, pki.client_options("localhost"));
    assert_echoed(&outcome);
    assert_eq!(outcome.server.facts().peer_certificates, None);
}

#[test]
fn alpn_agrees_on_the_protocol_both_offer() {
    let pki = Pki::new();
    let server = pki.server_options().with_alpn(["h2", "http/1.1"]);
    let client = pki.client_options("localhost").with_alpn(["http/1.1"]);
    let outcome = exchange(server, client);
    assert_echoed(&outcome);
    assert_eq!(
        outcome.client.facts().alpn.as_deref(),
        Some(&b"http/1.1"[..])
    );
    assert_eq!(
        outcome.server.facts().alpn.as_deref(),
        Some(&b"http/1.1"[..])
    );
}

#[test]
fn alpn_without_a_protocol_in_common_is_refused() {
    let pki = Pki::new();
    let server = pki.server_options().with_alpn(["h2", "http/1.1"]);
    let client = pki.client_options("localhost").with_alpn(["spdy/3"]);
    let outcome = exchange(server, client);
    assert_handshake_failed(
        &outcome.server.lost_reason(),
        TlsErrorKind::NoCommonParameters,
    );
    assert_client_refused(&outcome, TlsErrorKind::NoCommonParameters);
}

#[test]
fn a_client_without_alpn_negotiates_none() {
    let pki = Pki::new();
    let server = pki.server_options().with_alpn(["h2", "http/1.1"]);
    let outcome = exchange(server, pki.client_options("localhost"));
    assert_echoed(&outcome);
    assert_eq!(outcome.client.facts().alpn, None);
    assert_eq!(outcome.server.facts().alpn, None);
}

#[test]
fn a_server_without_alpn_lets_a_client_offering_it_in_with_none() {
    let pki = Pki::new();
    let client = pki.client_options("localhost").with_alpn(["h2"]);
    let outcome = exchange(pki.server_options(), client);
    assert_echoed(&outcome);
    assert_eq!(outcome.client.facts().alpn, None);
    assert_eq!(outcome.server.facts().alpn, None);
}

#[test]
fn sni_chooses_the_certificate_for_the_name_asked() {
    let pki = Pki::new();
    let alt = pki.leaf(&["alt.test"]);
    let server = || {
        pki.server_options()
            .with_sni_certificate("alt.test", alt.cert.as_bytes(), alt.key.as_bytes())
            .unwrap()
    };
    let outcome = exchange(server(), pki.client_options("alt.test"));
    assert_echoed(&outcome);
    assert_eq!(
        outcome.client.facts().peer_certificates.unwrap()[0],
        der(&alt.cert)
    );
    let outcome = exchange(server(), pki.client_options("ALT.Test"));
    assert_echoed(&outcome);
    assert_eq!(
        outcome.client.facts().peer_certificates.unwrap()[0],
        der(&alt.cert),
        "SNI names match whatever their case"
    );
    let outcome = exchange(server(), pki.client_options("localhost"));
    assert_echoed(&outcome);
    assert_eq!(
        outcome.client.facts().peer_certificates.unwrap()[0],
        der(&pki.server.cert)
    );
}

fn message(result: Result<impl std::fmt::Debug, TlsConfigError>) -> String {
    result.expect_err("the options are refused").to_string()
}

#[test]
fn options_that_cannot_be_built_say_what_is_wrong() {
    let pki = Pki::new();
    let (cert, key) = (pki.server.cert.as_bytes(), pki.server.key.as_bytes());

    let err = message(ServerOptions::from_pem(b"GET / HTTP/1.0\r\n", key));
    assert!(
        err.contains("no CERTIFICATE block in the certificate"),
        "{err}"
    );
    let err = message(ServerOptions::from_pem(cert, b"not a key"));
    assert!(err.contains("no usable private key"), "{err}");
    let err = message(ServerOptions::from_pem(cert, pki.client.key.as_bytes()));
    assert!(
        err.contains("the key does not match the certificate"),
        "{err}"
    );

    let dir = std::env::temp_dir().join(format!("torsion-tls-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_path = Pki::write(&dir, "key.pem", &pki.server.key);
    let missing = dir.join("missing-cert.pem");
    let err = message(ServerOptions::from_pem_files(&missing, &key_path));
    assert!(
        err.contains("cannot read") && err.contains("missing-cert.pem"),
        "{err}"
    );
    let cert_path = Pki::write(&dir, "cert.pem", &pki.server.cert);
    let wrong_key = Pki::write(&dir, "wrong-key.pem", &pki.client.key);
    let err = message(ServerOptions::from_pem_files(&cert_path, &wrong_key));
    assert!(
        err.contains("the key does not match") && err.contains("cert.pem"),
        "{err}"
    );
    let err = message(
        options_for_client_tls("localhost")
            .unwrap()
            .with_trust_root_file(&missing),
    );
    assert!(err.contains("missing-cert.pem"), "{err}");
    assert!(ServerOptions::from_pem_files(&cert_path, &key_path).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();

    let err = message(options_for_client_tls("not a host name!"));
    assert!(
        err.contains("bad server name \"not a host name!\""),
        "{err}"
    );
    let err = message(
        options_for_client_tls("localhost")
            .unwrap()
            .with_trust_root_pem(b"no CA here"),
    );
    assert!(err.contains("no CERTIFICATE block in the CA"), "{err}");
    let err = message(
        pki.server_options()
            .require_client_certificates(b"no CA here"),
    );
    assert!(err.contains("the client CA"), "{err}");
}

/// A line protocol that upgrades to TLS: the client asks `STARTTLS`, the server answers
/// `READY` in clear and starts TLS, the client starts TLS on reading `READY`.
struct Upgrade {
    options: torsion::tls::TlsOptions,
    seen: Rc<Seen>,
}

impl Protocol for Upgrade {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        if matches!(self.options, torsion::tls::TlsOptions::Client(_)) {
            cx.transport().write(b"STARTTLS\r\n");
        }
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        self.seen.data.borrow_mut().extend_from_slice(data);
        let (line, answer) = match self.options {
            torsion::tls::TlsOptions::Server(_) => (&b"STARTTLS\r\n"[..], &b"READY\r\n"[..]),
            torsion::tls::TlsOptions::Client(_) => (&b"READY\r\n"[..], &b""[..]),
        };
        if data == line {
            cx.transport().write(answer);
            cx.transport().start_tls(self.options.clone()).unwrap();
        }
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        *self.seen.lost.borrow_mut() = Some(reason.clone());
    }
}

struct UpgradeClient(Rc<Seen>, ClientOptions);

impl ClientFactory for UpgradeClient {
    type Protocol = Upgrade;
    fn build_protocol(&mut self, _addr: Address) -> Option<Upgrade> {
        Some(Upgrade {
            options: self.1.clone().into(),
            seen: self.0.clone(),
        })
    }
    fn client_connection_lost(&mut self, _connector: &Connector, reason: &Failure) {
        *self.0.factory_reason.borrow_mut() = Some(reason.clone());
    }
}

#[test]
fn start_tls_verifies_the_server_as_a_direct_connection_does() {
    let pki = Pki::new();
    let reactor = util::reactor();
    let server_seen = Seen::new();
    let (seen, options) = (server_seen.clone(), pki.server_options());
    let port = util::listen(&reactor, move |_peer| {
        Some(Upgrade {
            options: options.clone().into(),
            seen: seen.clone(),
        })
    });
    let client_seen = Seen::new();
    let _connector = reactor.connect_tcp(
        "127.0.0.1",
        port.get_host().port(),
        UpgradeClient(client_seen.clone(), pki.client_options("example.org")),
    );
    let (s, c) = (server_seen.clone(), client_seen.clone());
    util::run_until(&reactor, move || s.is_lost() && c.is_done());
    assert_eq!(client_seen.data.borrow().as_slice(), b"READY\r\n");
    assert_eq!(server_seen.data.borrow().as_slice(), b"STARTTLS\r\n");
    assert_handshake_failed(&client_seen.lost_reason(), TlsErrorKind::NameMismatch);
    assert_handshake_failed(
        &client_seen.factory_reason.borrow().clone().unwrap(),
        TlsErrorKind::NameMismatch,
    );
    assert_handshake_failed(&server_seen.lost_reason(), TlsErrorKind::BadCertificate);
}
