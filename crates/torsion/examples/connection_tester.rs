//! Connection tester (the seeds' `connectiontest.py`): tries to connect to HOST:PORT and
//! prints `Connected to port N`, or `Error connecting to port N: REASON` and exits with
//! status 1. The test itself is a Deferred (`test_connect` in `support/connection_test.rs`),
//! handled here with a callback and an errback that both stop the reactor.
//!
//! ```text
//! cargo run --example connection_tester -- 127.0.0.1 8000
//! ```

use std::process::ExitCode;

use clap::Parser;
use connection_test::test_connect;
use torsion::{Failure, Reactor};

#[path = "support/connection_test.rs"]
mod connection_test;
#[path = "support/logging.rs"]
mod logging;

/// Tests whether a TCP port accepts connections.
#[derive(Parser)]
struct Args {
    /// The host name or address to connect to.
    host: String,
    /// The TCP port to connect to.
    port: u16,
}

/// The callback: the port accepted the connection.
fn handle_success(reactor: &Reactor, port: u16) -> Result<ExitCode, Failure> {
    println!("Connected to port {port}");
    reactor.stop();
    Ok(ExitCode::SUCCESS)
}

/// The errback: the connection could not be made.
fn handle_failure(reactor: &Reactor, port: u16, failure: &Failure) -> Result<ExitCode, Failure> {
    println!(
        "Error connecting to port {port}: {}",
        failure.get_error_message()
    );
    reactor.stop();
    Ok(ExitCode::FAILURE)
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    let reactor = Reactor::new()?;
    let port = args.port;
    let (on_success, on_failure) = (reactor.clone(), reactor.clone());
    let done = test_connect(&reactor, &args.host, port).add_callbacks(
        move |()| handle_success(&on_success, port),
        move |failure| handle_failure(&on_failure, port, &failure),
    );
    reactor.run()?;
    match done.take_result() {
        Some(status) => status,
        None => {
            eprintln!("connection_tester: stopped before port {port} answered");
            Ok(ExitCode::FAILURE)
        }
    }
}
