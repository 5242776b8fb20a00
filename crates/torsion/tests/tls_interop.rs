//! torsion's TLS against other implementations, run as child processes over loopback:
//! `openssl s_client` and Python's `ssl` client against a torsion echo server,
//! `openssl s_server` and a Python `ssl` server against a torsion client. Certificates are
//! made at test time (`tls_util::Pki`) and written to a scratch directory.
//!
//! The outside programs are required: without `openssl` or `python3` these tests fail and
//! say what to install (`.ci/run` installs Debian's `openssl` when it is missing).

mod tls_interop_util;
mod tls_util;
mod util;

use std::rc::Rc;
use tls_interop_util::{
    der_hex, drive, echo_through_s_client, exchange, exchange_with, python3, s_client,
    s_server_rev, s_server_rev_with, serve_echo, setup, tls_error, Closer, Peer, Scratch,
    StartTlsServer, Then, PYTHON_CLOSING_CLIENT, PYTHON_ECHO_CLIENT, PYTHON_UPPER_SERVER,
};
use tls_util::Pki;

use torsion::error::{ConnectionAborted, ConnectionDone};
use torsion::protocols::basic::LineProtocol;
use torsion::tls::{TlsErrorKind, TlsTruncated};
use torsion::ListenOptions;
use util::Record;

#[test]
fn s_client_verifies_the_torsion_server_and_gets_its_lines_echoed() {
    let (pki, files, reactor, record) = setup();
    let port = serve_echo(&reactor, pki.server_options(), &record);

    let ca = files.ca.clone();
    let (status, output) = drive(&reactor, &record, move || {
        echo_through_s_client(port, ca, vec![], &["hello from openssl", "a second line"])
    });

    assert!(status.success(), "s_client failed: {status}\n{output:#?}");
    assert!(
        output
            .iter()
            .any(|l| l.contains("Verify return code: 0 (ok)")),
        "s_client did not verify the server: {output:#?}"
    );
    let events = record.events();
    assert!(
        events.contains(&"tls:TLSv1.3 alpn:- peer-certs:0".to_string()),
        "{events:?}"
    );
    assert!(events.contains(&"peer-closed".to_string()), "{events:?}");
    assert!(
        record.last_reason().check::<ConnectionDone>(),
        "s_client's close_notify should be a clean close: {:?}",
        record.reasons()
    );
}

#[test]
fn s_client_checks_the_name_so_it_refuses_the_torsion_server_for_another_name() {
    let (pki, files, reactor, record) = setup();
    let port = serve_echo(&reactor, pki.server_options(), &record);

    let ca = files.ca.clone();
    let (status, output) = drive(&reactor, &record, move || {
        let mut peer = s_client(port, &ca, &["-verify_hostname", "elsewhere.example"]);
        let status = peer.wait_for_exit();
        (status, peer.all_output())
    });

    assert!(!status.success(), "s_client accepted: {output:#?}");
    assert!(
        output.iter().any(|l| l.contains("hostname mismatch")),
        "{output:#?}"
    );
    // OpenSSL answers a name it did not ask for with a bad_certificate alert.
    let error = tls_error(&record.last_reason());
    assert_eq!(error.kind(), TlsErrorKind::BadCertificate, "{error}");
    assert!(error.during_handshake(), "{error}");
}

#[test]
fn s_client_forced_to_tls_1_2_is_served_over_tls_1_2() {
    let (pki, files, reactor, record) = setup();
    let port = serve_echo(&reactor, pki.server_options(), &record);

    let ca = files.ca.clone();
    let (status, output) = drive(&reactor, &record, move || {
        echo_through_s_client(port, ca, vec!["-tls1_2".into()], &["over TLS 1.2"])
    });

    assert!(status.success(), "s_client failed: {status}\n{output:#?}");
    assert!(
        output.iter().any(|l| l.contains("Protocol  : TLSv1.2")),
        "s_client did not speak TLS 1.2: {output:#?}"
    );
    let events = record.events();
    assert!(
        events.contains(&"tls:TLSv1.2 alpn:- peer-certs:0".to_string()),
        "{events:?}"
    );
    assert!(
        record.last_reason().check::<ConnectionDone>(),
        "{:?}",
        record.reasons()
    );
}

#[test]
fn s_client_offering_only_tls_1_1_is_refused_for_its_version() {
    let (pki, files, reactor, record) = setup();
    let port = serve_echo(&reactor, pki.server_options(), &record);

    // Security level 0 lets this OpenSSL send a TLS 1.1 hello at all (Debian's default
    // configuration would refuse before sending anything), so the refusal is ours.
    let ca = files.ca.clone();
    let (status, output) = drive(&reactor, &record, move || {
        let mut peer = s_client(port, &ca, &["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
        let status = peer.wait_for_exit();
        (status, peer.all_output())
    });

    assert!(
        !status.success(),
        "s_client connected over TLS 1.1: {output:#?}"
    );
    let error = tls_error(&record.last_reason());
    assert_eq!(error.kind(), TlsErrorKind::ProtocolVersion, "{error}");
    assert!(error.during_handshake(), "{error}");
    // rustls answers with handshake_failure, not protocol_version: its choice.
    assert!(
        output.iter().any(|l| l.contains("alert")),
        "s_client was not sent an alert: {output:#?}"
    );
    assert!(
        !output
            .iter()
            .any(|l| l.contains("Cipher is") && !l.contains("(NONE)")),
        "a cipher was agreed over TLS 1.1: {output:#?}"
    );
}

#[test]
fn s_client_offering_alpn_gets_the_protocol_the_server_offers() {
    let (pki, files, reactor, record) = setup();
    let options = pki.server_options().with_alpn(["http/1.1"]);
    let port = serve_echo(&reactor, options, &record);

    let ca = files.ca.clone();
    let (status, output) = drive(&reactor, &record, move || {
        echo_through_s_client(
            port,
            ca,
            vec!["-alpn".into(), "h2,http/1.1".into()],
            &["GET /"],
        )
    });

    assert!(status.success(), "s_client failed: {status}\n{output:#?}");
    assert!(
        output.iter().any(|l| l == "ALPN protocol: http/1.1"),
        "s_client did not report the server's choice: {output:#?}"
    );
    let events = record.events();
    assert!(
        events.contains(&"tls:TLSv1.3 alpn:http/1.1 peer-certs:0".to_string()),
        "{events:?}"
    );
    assert!(
        record.last_reason().check::<ConnectionDone>(),
        "{:?}",
        record.reasons()
    );
}

#[test]
fn s_client_offering_only_protocols_the_server_does_not_speak_is_refused() {
    let (pki, files, reactor, record) = setup();
    let options = pki.server_options().with_alpn(["http/1.1"]);
    let port = serve_echo(&reactor, options, &record);

    let ca = files.ca.clone();
    let (status, output) = drive(&reactor, &record, move || {
        let mut peer = s_client(port, &ca, &["-alpn", "h2"]);
        let status = peer.wait_for_exit();
        (status, peer.all_output())
    });

    assert!(!status.success(), "s_client connected: {output:#?}");
    assert!(
        output.iter().any(|l| l.contains("no application protocol")),
        "s_client was not told why: {output:#?}"
    );
    let error = tls_error(&record.last_reason());
    assert_eq!(error.kind(), TlsErrorKind::NoCommonParameters, "{error}");
}

#[test]
fn s_client_with_a_certificate_is_served_when_client_certificates_are_required() {
    let (pki, files, reactor, record) = setup();
    let options = pki
        .server_options()
        .require_client_certificates(pki.ca.cert.as_bytes())
        .unwrap();
    let port = serve_echo(&reactor, options, &record);

    let (ca, cert, key) = (
        files.ca.clone(),
        files.client_cert.clone(),
        files.client_key.clone(),
    );
    let (status, output) = drive(&reactor, &record, move || {
        let extra = vec!["-cert".into(), cert, "-key".into(), key];
        echo_through_s_client(port, ca, extra, &["with my certificate"])
    });

    assert!(status.success(), "s_client failed: {status}\n{output:#?}");
    let events = record.events();
    // OpenSSL sends the CA after the client's own certificate (it found it in -CAfile).
    assert!(
        events.contains(&"tls:TLSv1.3 alpn:- peer-certs:2".to_string()),
        "{events:?}"
    );
    assert!(
        events.contains(&format!("peer-leaf:{}", der_hex(&pki.client.cert))),
        "the server did not see the client's certificate: {events:?}"
    );
    assert!(
        record.last_reason().check::<ConnectionDone>(),
        "{:?}",
        record.reasons()
    );
}

#[test]
fn s_client_without_a_certificate_is_refused_when_client_certificates_are_required() {
    let (pki, files, reactor, record) = setup();
    let options = pki
        .server_options()
        .require_client_certificates(pki.ca.cert.as_bytes())
        .unwrap();
    let port = serve_echo(&reactor, options, &record);

    // Under TLS 1.3 the client finishes its half of the handshake before the server
    // judges its (missing) certificate: the refusal arrives as an alert on its first read.
    // s_client may have read it and exited before our line, so that write may fail.
    let ca = files.ca.clone();
    let (status, output, echoed) = drive(&reactor, &record, move || {
        let mut peer = s_client(port, &ca, &[]);
        let _ = peer.try_send_line("let me in");
        let echoed = peer.wait_for_line(|l| l == "let me in").is_some();
        let status = peer.wait_for_exit();
        (status, peer.all_output(), echoed)
    });

    assert!(
        !echoed,
        "the server echoed a client without a certificate: {output:#?}"
    );
    assert!(
        output.iter().any(|l| l.contains("certificate required")),
        "s_client was not told why: {status} {output:#?}"
    );
    let error = tls_error(&record.last_reason());
    assert_eq!(error.kind(), TlsErrorKind::CertificateRequired, "{error}");
    assert!(
        !record.events().iter().any(|e| e.starts_with("data:")),
        "{:?}",
        record.events()
    );
}

#[test]
fn a_torsion_client_verifies_s_server_exchanges_data_and_closes_with_close_notify() {
    let pki = Pki::new();
    let dir = Scratch::new();
    let (mut server, port) = s_server_rev(&pki, &dir, &pki.server);

    let record = exchange(
        &pki,
        port,
        "hello torsion\n",
        "noisrot olleh\n",
        Then::LoseConnection,
    );

    let events = record.events();
    // OpenSSL sends the CA after its own certificate (it found it in -CAfile).
    assert_eq!(
        events[..2],
        ["tls:TLSv1.3 alpn:- peer-certs:2", "replied:noisrot olleh\n"],
        "{events:?}"
    );
    assert!(
        record.last_reason().check::<ConnectionDone>(),
        "{:?}",
        record.reasons()
    );
    let status = server.wait_for_exit();
    assert!(status.success(), "s_server: {status}\n{}", server.report());
    assert!(server.printed("CONNECTION CLOSED"), "{}", server.report());
}

#[test]
fn a_torsion_client_takes_s_servers_close_notify_as_a_clean_close() {
    let pki = Pki::new();
    let dir = Scratch::new();
    let (mut server, port) = s_server_rev(&pki, &dir, &pki.server);

    // A line starting with CLOSE makes s_server -rev shut its TLS down (close_notify).
    let record = exchange(&pki, port, "first\nCLOSE\n", "tsrif\n", Then::WaitForPeer);

    let events = record.events();
    assert_eq!(
        events,
        [
            "tls:TLSv1.3 alpn:- peer-certs:2",
            "replied:tsrif\n",
            "peer-closed",
            "lost"
        ],
        "{events:?}"
    );
    assert!(
        record.last_reason().check::<ConnectionDone>(),
        "{:?}",
        record.reasons()
    );
    let status = server.wait_for_exit();
    assert!(status.success(), "s_server: {status}\n{}", server.report());
}

#[test]
fn a_torsion_client_refuses_s_server_with_a_certificate_from_an_unknown_ca() {
    let pki = Pki::new();
    let dir = Scratch::new();
    let (_server, port) = s_server_rev(&pki, &dir, &pki.rogue_server);

    let record = exchange(&pki, port, "secret\n", "terces\n", Then::LoseConnection);

    assert!(
        !record.events().iter().any(|e| e.starts_with("replied:")),
        "{:?}",
        record.events()
    );
    let error = tls_error(&record.last_reason());
    assert_eq!(error.kind(), TlsErrorKind::UnknownIssuer, "{error}");
    assert!(error.during_handshake(), "{error}");
}

#[test]
fn a_torsion_client_refuses_s_server_with_a_certificate_for_another_name() {
    let pki = Pki::new();
    let dir = Scratch::new();
    let elsewhere = pki.leaf(&["elsewhere.example"]);
    let (_server, port) = s_server_rev(&pki, &dir, &elsewhere);

    let record = exchange(&pki, port, "secret\n", "terces\n", Then::LoseConnection);

    assert!(
        !record.events().iter().any(|e| e.starts_with("replied:")),
        "{:?}",
        record.events()
    );
    let error = tls_error(&record.last_reason());
    assert_eq!(error.kind(), TlsErrorKind::NameMismatch, "{error}");
    assert!(error.during_handshake(), "{error}");
}

#[test]
fn a_torsion_client_presents_its_certificate_to_s_server_that_requires_one() {
    let pki = Pki::new();
    let dir = Scratch::new();
    let (mut server, port) = s_server_rev_with(&pki, &dir, &pki.server, &["-Verify", "1"]);

    let options = pki
        .client_options("localhost")
        .with_client_certificate(pki.client.cert.as_bytes(), pki.client.key.as_bytes())
        .unwrap();
    let record = exchange_with(
        options,
        port,
        "it is me\n",
        "em si ti\n",
        Then::LoseConnection,
    );

    let events = record.events();
    assert_eq!(events[1], "replied:em si ti\n", "{events:?}");
    assert!(
        record.last_reason().check::<ConnectionDone>(),
        "{:?}",
        record.reasons()
    );
    server.wait_for_exit();
    assert!(server.printed("CN = test client"), "{}", server.report());
}

#[test]
fn a_torsion_client_without_a_certificate_is_refused_by_s_server_that_requires_one() {
    let pki = Pki::new();
    let dir = Scratch::new();
    let (server, port) = s_server_rev_with(&pki, &dir, &pki.server, &["-Verify", "1"]);

    let record = exchange(&pki, port, "it is me\n", "em si ti\n", Then::LoseConnection);

    assert!(
        !record.events().iter().any(|e| e.starts_with("replied:")),
        "{:?}",
        record.events()
    );
    let error = tls_error(&record.last_reason());
    assert_eq!(
        error.kind(),
        TlsErrorKind::CertificateRequired,
        "{error}\n{}",
        server.report()
    );
}

#[test]
fn a_torsion_client_speaks_tls_1_2_and_alpn_with_s_server() {
    let pki = Pki::new();
    let dir = Scratch::new();
    let extra = ["-tls1_2", "-alpn", "http/1.1"];
    let (_server, port) = s_server_rev_with(&pki, &dir, &pki.server, &extra);

    let options = pki
        .client_options("localhost")
        .with_alpn(["h2", "http/1.1"]);
    let record = exchange_with(options, port, "abc\n", "cba\n", Then::LoseConnection);

    let events = record.events();
    assert_eq!(
        events[0], "tls:TLSv1.2 alpn:http/1.1 peer-certs:2",
        "{events:?}"
    );
    assert!(
        record.last_reason().check::<ConnectionDone>(),
        "{:?}",
        record.reasons()
    );
}

#[test]
fn a_python_client_verifies_the_torsion_server_gets_its_bytes_echoed_and_unwraps() {
    let (pki, files, reactor, record) = setup();
    let dir = Scratch::new();
    let script = dir.write("echo_client.py", PYTHON_ECHO_CLIENT);
    let port = serve_echo(&reactor, pki.server_options(), &record);

    let (ca, size) = (files.ca.clone(), 4 * 1024 * 1024);
    let (status, output) = drive(&reactor, &record, move || {
        let args = [script.as_str(), &port.to_string(), &ca, &size.to_string()];
        let mut peer = Peer::start("python ssl client", python3(), &args);
        let status = peer.wait_for_exit();
        (status, peer.all_output())
    });

    assert!(
        status.success(),
        "the Python client failed: {status}\n{output:#?}"
    );
    let expected = ["version TLSv1.3", &format!("echoed {size}"), "unwrapped"];
    assert_eq!(output, expected, "{output:#?}");
    assert!(record.has("peer-closed"), "{:?}", record.events());
    assert!(
        record.last_reason().check::<ConnectionDone>(),
        "unwrap() sends close_notify, a clean close: {:?}",
        record.reasons()
    );
}

#[test]
fn a_torsion_client_and_a_python_server_exchange_and_both_close_cleanly() {
    let pki = Pki::new();
    let dir = Scratch::new();
    let script = dir.write("upper_server.py", PYTHON_UPPER_SERVER);
    let cert = dir.write("server.pem", &pki.server.cert);
    let key = dir.write("server.key", &pki.server.key);
    let mut server = Peer::start("python ssl server", python3(), &[&script, &cert, &key]);
    let line = server.expect_line("its port", |l| l.starts_with("port "));
    let port: u16 = line["port ".len()..].parse().expect("a port number");

    // Half-close: our close_notify, then the server's answers it. As over TCP, the peer's
    // end after our own is no read_connection_lost but the end of the connection; a clean
    // one (ConnectionDone, not TlsTruncated) since the server's close_notify came first.
    let record = exchange(
        &pki,
        port,
        "hello python\n",
        "HELLO PYTHON\n",
        Then::LoseWriteConnection,
    );

    let events = record.events();
    assert_eq!(
        events,
        [
            "tls:TLSv1.3 alpn:- peer-certs:1",
            "replied:HELLO PYTHON\n",
            "lost"
        ],
        "{events:?}"
    );
    assert!(
        record.last_reason().check::<ConnectionDone>(),
        "{:?}",
        record.reasons()
    );
    let status = server.wait_for_exit();
    assert!(
        status.success(),
        "the Python server failed: {status}\n{}",
        server.report()
    );
    assert_eq!(
        server.all_output(),
        [
            "port ".to_string() + &port.to_string(),
            "version TLSv1.3".into(),
            "received hello python".into(),
            "unwrapped".into()
        ],
        "{}",
        server.report()
    );
}

#[test]
fn s_client_over_tls_1_2_without_a_certificate_fails_its_handshake_when_one_is_required() {
    let (pki, files, reactor, record) = setup();
    let options = pki
        .server_options()
        .require_client_certificates(pki.ca.cert.as_bytes())
        .unwrap();
    let port = serve_echo(&reactor, options, &record);

    // Under TLS 1.2 the server judges the client's certificate before its Finished: the
    // handshake itself fails.
    let ca = files.ca.clone();
    let (status, output) = drive(&reactor, &record, move || {
        let mut peer = s_client(port, &ca, &["-tls1_2"]);
        let status = peer.wait_for_exit();
        (status, peer.all_output())
    });

    assert!(!status.success(), "s_client connected: {output:#?}");
    let error = tls_error(&record.last_reason());
    assert_eq!(error.kind(), TlsErrorKind::CertificateRequired, "{error}");
    assert!(error.during_handshake(), "{error}");
}

#[test]
fn s_client_asking_for_a_name_by_sni_gets_that_names_certificate() {
    let (pki, files, reactor, record) = setup();
    let other = pki.leaf(&["other.example"]);
    let options = pki
        .server_options()
        .with_sni_certificate("other.example", other.cert.as_bytes(), other.key.as_bytes())
        .unwrap();
    let port = serve_echo(&reactor, options, &record);

    let ca = files.ca.clone();
    let (status, output) = drive(&reactor, &record, move || {
        let mut peer = s_client(
            port,
            &ca,
            &[
                "-servername",
                "other.example",
                "-verify_hostname",
                "other.example",
            ],
        );
        peer.send_line("which one?");
        peer.expect_line("the echo", |l| l == "which one?");
        peer.close_stdin();
        let status = peer.wait_for_exit();
        (status, peer.all_output())
    });

    assert!(status.success(), "s_client failed: {status}\n{output:#?}");
    assert!(
        output
            .iter()
            .any(|l| l.starts_with("subject=CN = other.example")),
        "s_client was not shown the other certificate: {output:#?}"
    );
    assert!(
        output
            .iter()
            .any(|l| l.contains("Verify return code: 0 (ok)")),
        "{output:#?}"
    );
}

#[test]
fn s_client_starttls_smtp_upgrades_a_torsion_line_server_with_start_tls() {
    let (pki, files, reactor, record) = setup();
    let (options, rec) = (pki.server_options(), record.clone());
    let listen = ListenOptions {
        interface: "127.0.0.1".into(),
        ..ListenOptions::default()
    };
    let port = reactor
        .listen_tcp_with(
            0,
            move |_peer| {
                Some(LineProtocol::new(StartTlsServer::new(
                    options.clone(),
                    &rec,
                )))
            },
            listen,
        )
        .expect("listen on 127.0.0.1:0")
        .get_host()
        .port();

    // s_client reads the 220 greeting, sends EHLO, finds STARTTLS among the 250 lines,
    // sends STARTTLS, reads the 220 (in clear) and only then starts its handshake.
    let ca = files.ca.clone();
    let extra = ["-starttls", "smtp", "-crlf"].map(String::from).to_vec();
    let (status, output) = drive(&reactor, &record, move || {
        echo_through_s_client(port, ca, extra, &["over STARTTLS"])
    });

    assert!(status.success(), "s_client failed: {status}\n{output:#?}");
    assert!(
        output
            .iter()
            .any(|l| l.contains("Verify return code: 0 (ok)")),
        "s_client did not verify the server: {output:#?}"
    );
    let events = record.events();
    assert_eq!(
        events[1..],
        [
            "clear:STARTTLS",
            "tls:TLSv1.3 alpn:- peer-certs:0",
            "secure:over STARTTLS",
            "lost"
        ],
        "{events:?}"
    );
    assert!(events[0].starts_with("clear:EHLO "), "{events:?}");
    assert!(
        record.last_reason().check::<ConnectionDone>(),
        "{:?}",
        record.reasons()
    );
}

#[test]
fn a_torsion_client_tells_a_python_server_closing_without_close_notify_as_truncated() {
    let pki = Pki::new();
    let dir = Scratch::new();
    let script = dir.write("upper_server.py", PYTHON_UPPER_SERVER);
    let cert = dir.write("server.pem", &pki.server.cert);
    let key = dir.write("server.key", &pki.server.key);
    let args = [script.as_str(), &cert, &key, "--truncate"];
    let mut server = Peer::start("python ssl server", python3(), &args);
    let line = server.expect_line("its port", |l| l.starts_with("port "));
    let port: u16 = line["port ".len()..].parse().expect("a port number");

    let record = exchange(
        &pki,
        port,
        "cut me off\n",
        "CUT ME OFF\n",
        Then::WaitForPeer,
    );

    let events = record.events();
    assert_eq!(events[1..], ["replied:CUT ME OFF\n", "lost"], "{events:?}");
    let reason = record.last_reason();
    assert!(
        reason.check::<TlsTruncated>(),
        "a close without close_notify is a truncation: {reason:?}"
    );
    let status = server.wait_for_exit();
    assert!(
        status.success(),
        "the Python server failed: {status}\n{}",
        server.report()
    );
    assert!(
        server.printed("closed without close_notify"),
        "{}",
        server.report()
    );
}

/// Runs the Python closing client against a torsion TLS server whose connection answers
/// with [`Closer`] (aborting if `abort`); returns the client's output and the server's
/// record.
fn python_sees_the_server_close(abort: bool) -> (Vec<String>, Rc<Record>) {
    let (pki, files, reactor, record) = setup();
    let dir = Scratch::new();
    let script = dir.write("closing_client.py", PYTHON_CLOSING_CLIENT);
    let rec = record.clone();
    let listen = ListenOptions {
        interface: "127.0.0.1".into(),
        ..ListenOptions::default()
    };
    let port = reactor
        .listen_tls_with(
            0,
            move |_peer| Some(Closer::new(&rec, abort)),
            pki.server_options(),
            listen,
        )
        .expect("listen_tls on 127.0.0.1:0")
        .get_host()
        .port();

    let ca = files.ca.clone();
    let (status, output) = drive(&reactor, &record, move || {
        let args = [script.as_str(), &port.to_string(), &ca];
        let mut peer = Peer::start("python ssl client", python3(), &args);
        let status = peer.wait_for_exit();
        (status, peer.all_output())
    });
    assert!(
        status.success(),
        "the Python client failed: {status}\n{output:#?}"
    );
    (output, record)
}

#[test]
fn a_python_client_sees_lose_connection_as_a_clean_close_after_the_data() {
    let (output, record) = python_sees_the_server_close(false);

    assert_eq!(output, ["received goodbye", "clean close"], "{output:#?}");
    assert!(
        record.last_reason().check::<ConnectionDone>(),
        "{:?}",
        record.reasons()
    );
}

#[test]
fn a_python_client_sees_abort_connection_as_an_unclean_close() {
    let (output, record) = python_sees_the_server_close(true);

    assert_eq!(output.len(), 2, "{output:#?}");
    assert!(
        output[1].starts_with("unclean close: "),
        "abort_connection sent close_notify: {output:#?}"
    );
    assert!(
        record.last_reason().check::<ConnectionAborted>(),
        "{:?}",
        record.reasons()
    );
}
