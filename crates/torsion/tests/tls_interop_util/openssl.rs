//! `openssl s_client` and `openssl s_server` started the way the tests need them.

use std::process::ExitStatus;

use super::{free_port, openssl, Peer, Scratch};
use crate::tls_util::{Pem, Pki};

/// `openssl s_client` to `127.0.0.1:port`, asking for `localhost` by SNI and verifying
/// the server's certificate chain against `ca` and its name as `localhost` (refusing
/// otherwise), with `extra` arguments (a later `-servername` or `-verify_hostname` wins).
pub fn s_client(port: u16, ca: &str, extra: &[&str]) -> Peer {
    let connect = format!("127.0.0.1:{port}");
    let mut args = vec![
        "s_client",
        "-connect",
        &connect,
        "-CAfile",
        ca,
        "-verify_return_error",
        "-servername",
        "localhost",
        "-verify_hostname",
        "localhost",
        "-nocommands",
    ];
    args.extend_from_slice(extra);
    Peer::start("openssl s_client", openssl(), &args)
}

/// Sends `lines` through s_client and waits for each to come back; then ends its input,
/// which makes it send `close_notify`, and waits for it to exit. Returns its exit status
/// and output.
pub fn echo_through_s_client(
    port: u16,
    ca: String,
    extra: Vec<String>,
    lines: &'static [&'static str],
) -> (ExitStatus, Vec<String>) {
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let mut peer = s_client(port, &ca, &extra);
    for line in lines {
        peer.send_line(line);
        peer.expect_line(&format!("the echo of {line:?}"), |l| l == *line);
    }
    peer.close_stdin();
    let status = peer.wait_for_exit();
    (status, peer.all_output())
}

/// `openssl s_server` on a free port of 127.0.0.1, presenting `cert` and `key`, serving
/// one connection, with `extra` arguments; returns it once it printed `ACCEPT`, and its
/// port. Another process may take the port between our probe and its bind: then it is
/// started again on another.
pub fn s_server(cert: &str, key: &str, ca: &str, extra: &[&str]) -> (Peer, u16) {
    for _ in 0..5 {
        let port = free_port();
        let accept = format!("127.0.0.1:{port}");
        let mut args = vec![
            "s_server", "-accept", &accept, "-cert", cert, "-key", key, "-CAfile", ca, "-naccept",
            "1",
        ];
        args.extend_from_slice(extra);
        let peer = Peer::start("openssl s_server", openssl(), &args);
        if peer.wait_for_line(|l| l == "ACCEPT").is_some() {
            return (peer, port);
        }
        assert!(
            peer.printed("in use"),
            "s_server did not start:\n{}",
            peer.report()
        );
    }
    panic!("s_server found no free port in 5 tries");
}

/// s_server presenting `pem`, in `-rev` mode (each line comes back reversed).
pub fn s_server_rev(pki: &Pki, dir: &Scratch, pem: &Pem) -> (Peer, u16) {
    s_server_rev_with(pki, dir, pem, &[])
}

/// [`s_server_rev`] with `extra` arguments.
pub fn s_server_rev_with(pki: &Pki, dir: &Scratch, pem: &Pem, extra: &[&str]) -> (Peer, u16) {
    let ca = dir.write("ca.pem", &pki.ca.cert);
    let cert = dir.write("server.pem", &pem.cert);
    let key = dir.write("server.key", &pem.key);
    let mut args = vec!["-rev"];
    args.extend_from_slice(extra);
    s_server(&cert, &key, &ca, &args)
}
