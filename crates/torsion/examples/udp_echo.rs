//! UDP echo server: each datagram goes back to its sender (Twisted's UDP howto `Echo`).
//!
//! ```text
//! cargo run --example udp_echo -- --port 9999
//! cargo run --example udp_echo -- --interface ::1 --port 9999
//! ```
//!
//! Try it with `nc -u 127.0.0.1 9999`. It prints `listening on HOST:PORT` once bound.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use torsion::{Address, DatagramCx, DatagramProtocol, Reactor, UdpOptions};

#[path = "support/logging.rs"]
mod logging;

/// Echoes every UDP datagram back to the address it came from.
#[derive(Parser)]
struct Args {
    /// UDP port to listen on (0 picks a free one); 9999 as in Twisted's UDP howto.
    #[arg(long, default_value_t = 9999)]
    port: u16,
    /// Interface to listen on ("" for every IPv4 interface, "::" for every IPv6 one).
    #[arg(long, default_value = "")]
    interface: String,
    /// Longest datagram echoed; longer ones are logged and dropped.
    #[arg(long, default_value_t = torsion::DEFAULT_MAX_PACKET_SIZE)]
    max_packet_size: usize,
}

struct Echo;

impl DatagramProtocol for Echo {
    fn datagram_received(&mut self, cx: &mut DatagramCx<Self>, data: &[u8], from: Address) {
        if let Err(failure) = cx.transport().write(data, from.clone()) {
            tracing::warn!(%from, %failure, "echo not sent");
        }
    }
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    let reactor = Reactor::new()?;
    let options = UdpOptions {
        interface: args.interface,
        max_packet_size: args.max_packet_size,
        ..UdpOptions::default()
    };
    let port = match reactor.listen_udp_with(args.port, Echo, options) {
        Ok(port) => port,
        Err(failure) => {
            eprintln!("udp_echo: {}", failure.get_error_message());
            return Ok(ExitCode::FAILURE);
        }
    };
    println!("listening on {}", port.get_host());
    std::io::stdout().flush()?;
    reactor.run()?;
    Ok(ExitCode::SUCCESS)
}
