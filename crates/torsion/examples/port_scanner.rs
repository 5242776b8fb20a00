//! Port scanner (the seeds' `portscan.py`): tests every port of a range on HOST with the
//! connection tester's `test_connect`, collects the outcomes with a `DeferredList`
//! (`consume_errors`: a closed port is an expected answer, not an error to log), and
//! prints `Connected to port N` for each open port, in port order. A `DeferredSemaphore`
//! bounds the attempts in flight (`--concurrency`), so a scan of 1-65535 never runs out of
//! file descriptors.
//!
//! ```text
//! cargo run --release --example port_scanner -- 127.0.0.1 --ports 1-1024
//! ```

use std::ops::RangeInclusive;
use std::process::ExitCode;
use std::str::FromStr;

use clap::Parser;
use connection_test::test_connect;
use torsion::defer::{Deferred, DeferredList, DeferredSemaphore};
use torsion::{Failure, Reactor};

#[path = "support/connection_test.rs"]
mod connection_test;
#[path = "support/logging.rs"]
mod logging;

/// Scans a host's TCP ports.
#[derive(Parser)]
struct Args {
    /// The host name or address to scan.
    host: String,
    /// The ports to test, as `FIRST-LAST` (or one port).
    #[arg(long, default_value = "1-200")]
    ports: PortRange,
    /// How many connection attempts may be in flight at once.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
}

/// An inclusive range of ports, `FIRST-LAST`.
#[derive(Clone)]
struct PortRange(RangeInclusive<u16>);

impl FromStr for PortRange {
    type Err = String;

    fn from_str(s: &str) -> Result<PortRange, String> {
        let (first, last) = s.split_once('-').unwrap_or((s, s));
        let parse = |p: &str| {
            p.trim()
                .parse::<u16>()
                .map_err(|_| format!("{p:?} is not a port number"))
        };
        let (first, last) = (parse(first)?, parse(last)?);
        if first == 0 || first > last {
            return Err(format!(
                "{s:?} is not a range of ports FIRST-LAST with 1 <= FIRST <= LAST"
            ));
        }
        Ok(PortRange(first..=last))
    }
}

/// The callback of the whole scan: prints the open ports, in port order, and stops.
fn handle_all_results(reactor: &Reactor, ports: &[u16], results: Vec<Result<(), Failure>>) {
    for (port, result) in ports.iter().zip(results) {
        if result.is_ok() {
            println!("Connected to port {port}");
        }
    }
    reactor.stop();
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::WARN);
    let args = Args::parse();
    let reactor = Reactor::new()?;
    let ports: Vec<u16> = args.ports.0.collect();
    let limit = DeferredSemaphore::new(usize::from(args.concurrency));
    let testers: Vec<Deferred<()>> = ports
        .iter()
        .map(|&port| {
            let (r, host) = (reactor.clone(), args.host.clone());
            limit.run(move || test_connect(&r, &host, port))
        })
        .collect();
    let r = reactor.clone();
    let scan = DeferredList::new(testers)
        .consume_errors(true)
        .results()
        .add_callback(move |results| {
            handle_all_results(&r, &ports, results);
            Ok(())
        });
    reactor.run()?;
    match scan.take_result() {
        Some(Ok(())) => Ok(ExitCode::SUCCESS),
        Some(Err(failure)) => {
            eprintln!("port_scanner: the scan failed: {failure}");
            Ok(ExitCode::FAILURE)
        }
        None => {
            eprintln!("port_scanner: stopped before the scan finished");
            Ok(ExitCode::FAILURE)
        }
    }
}
