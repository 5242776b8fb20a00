//! TLS echo server: every byte received is written back, encrypted (Twisted's
//! `examples/echoserv_ssl.py`).
//!
//! ```text
//! cargo run --example tls_echo_server -- --port 8443 --cert cert.pem --key key.pem
//! cargo run --example tls_echo_server -- --port 8443 --cert-dir /tmp/tls
//! cargo run --example tls_echo_client -- localhost 8443 --ca /tmp/tls/cert.pem
//! openssl s_client -connect localhost:8443 -CAfile /tmp/tls/cert.pem
//! ```
//!
//! With neither `--cert` nor `--key` it makes a self-signed certificate for `localhost`
//! and 127.0.0.1 and prints where it wrote it (`--cert-dir`, or a temporary directory
//! removed when the server exits). A client's `close_notify` is its end of input: the
//! server sends what it still has to echo, then its own `close_notify`, then closes.
//! A client whose handshake fails (it does not trust the certificate, it sends garbage)
//! is logged and dropped; the others go on.

use std::process::ExitCode;

use clap::Parser;
use listen::ListenArgs;
use tls_certificate::CertificateArgs;
use torsion::tls::TlsFactory;
use torsion::{Cx, Protocol, Reactor};

#[path = "support/listen.rs"]
mod listen;
#[path = "support/logging.rs"]
mod logging;
#[path = "support/tls_certificate.rs"]
mod tls_certificate;

/// Echoes every byte back over TLS to the client that sent it.
#[derive(Parser)]
struct Args {
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8443)]
    port: u16,
    #[command(flatten)]
    listening: ListenArgs,
    #[command(flatten)]
    certificate: CertificateArgs,
}

/// Writes back what it reads. Its end of input (the client's `close_notify`) closes the
/// connection once the echo is sent: the default `read_connection_lost`.
struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    if let Some(description) = args.listening.listen.as_deref() {
        if description.starts_with("ssl:") {
            eprintln!(
                "tls_echo_server: --listen {description}: this server adds TLS itself; \
                 give a tcp: or unix: description"
            );
            return Ok(ExitCode::FAILURE);
        }
    }
    let certificate = match args.certificate.load() {
        Ok(certificate) => certificate,
        Err(message) => {
            eprintln!("tls_echo_server: {message}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let reactor = Reactor::new()?;
    let factory = TlsFactory::new(|_peer| Some(Echo), certificate.options());
    args.listening
        .serve("tls_echo_server", &reactor, args.port, factory)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use torsion::testing::{Clock, ProtocolHarness, StringTransport};

    #[test]
    fn echoes_every_chunk_and_closes_at_the_end_of_input() {
        let st = StringTransport::new();
        let h = ProtocolHarness::connect(Echo, &st, &Clock::new()).unwrap();
        h.data_received_in_chunks(b"hello, TLS echo", 4).unwrap();
        assert_eq!(st.value(), b"hello, TLS echo");
        assert!(!st.disconnecting());
        h.read_connection_lost().unwrap();
        assert!(st.disconnecting(), "the client's close_notify closes");
    }

    #[test]
    fn a_self_signed_certificate_is_written_and_loads() {
        let dir = std::env::temp_dir().join(format!("tls_echo_server-unit-{}", std::process::id()));
        let files = tls_certificate::write_self_signed(&dir).unwrap();
        let cert = std::fs::read_to_string(&files.cert).unwrap();
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"), "{cert}");
        let mode = std::fs::metadata(&files.key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key is private");
        torsion::tls::ServerOptions::from_pem_files(&files.cert, &files.key).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
