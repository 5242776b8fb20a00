//! Port forwarder (Twisted's `twisted.protocols.portforward`, as `twist portforward`):
//! every connection accepted is joined to a new connection to `--to`, and bytes are
//! copied both ways, with backpressure both ways.
//!
//! ```text
//! cargo run --example port_forward -- --port 8080 --to example.org:80
//! cargo run --example port_forward -- --listen tcp:8080:interface=127.0.0.1 --to [::1]:8000
//! ```

use std::process::ExitCode;

use clap::Parser;
use listen::ListenArgs;
use torsion::protocols::portforward::ProxyFactory;
use torsion::{Destination, Reactor};

#[path = "support/listen.rs"]
mod listen;
#[path = "support/logging.rs"]
mod logging;

/// Forwards every connection to one destination.
#[derive(Parser)]
struct Args {
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    #[command(flatten)]
    listening: ListenArgs,
    /// Where to forward to: HOST:PORT (an IPv6 address in brackets: [::1]:8000).
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_destination)]
    to: Destination,
}

/// Parses `HOST:PORT` or `[IPV6]:PORT`.
fn parse_destination(text: &str) -> Result<Destination, String> {
    let (host, port) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("{text:?} is not HOST:PORT"))?;
    let host = match host.strip_prefix('[') {
        Some(inner) => inner
            .strip_suffix(']')
            .ok_or_else(|| format!("{text:?}: unclosed '[' in the host"))?,
        None if host.contains(':') => {
            return Err(format!(
                "{text:?}: put an IPv6 address in brackets, as [::1]:80"
            ))
        }
        None => host,
    };
    if host.is_empty() {
        return Err(format!("{text:?} has no host"));
    }
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|&p| p != 0)
        .ok_or_else(|| format!("{text:?}: the port must be a number from 1 to 65535"))?;
    Ok(Destination {
        host: host.to_string(),
        port,
    })
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    let reactor = Reactor::new()?;
    let factory = ProxyFactory::to(&reactor, args.to);
    args.listening
        .serve("port_forward", &reactor, args.port, factory)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest(host: &str, port: u16) -> Destination {
        Destination {
            host: host.to_string(),
            port,
        }
    }

    #[test]
    fn parses_names_and_addresses() {
        assert_eq!(
            parse_destination("example.org:80"),
            Ok(dest("example.org", 80))
        );
        assert_eq!(
            parse_destination("127.0.0.1:8000"),
            Ok(dest("127.0.0.1", 8000))
        );
        assert_eq!(parse_destination("[::1]:8000"), Ok(dest("::1", 8000)));
    }

    #[test]
    fn refuses_what_is_not_host_and_port() {
        for bad in [
            "example.org",
            ":80",
            "host:",
            "host:0",
            "host:65536",
            "::1:80",
            "[::1:80",
        ] {
            assert!(parse_destination(bad).is_err(), "{bad} was accepted");
        }
    }
}
