//! Services: echo servers and a timer started and stopped as one application (Twisted's
//! `twisted.application.service` with `internet.StreamServerEndpointService` and
//! `internet.TimerService`).
//!
//! ```text
//! cargo run --example services_demo -- --listen tcp:8000 --listen unix:/tmp/echo.sock
//! ```
//!
//! Every `--listen` endpoint becomes an echo server service, and `--tick-ms` a timer
//! service printing `tick N`. An [`application::Runner`](torsion::application::Runner)
//! runs them: Ctrl-C (or SIGTERM) stops the application (every port stops listening),
//! gives the open connections `--grace-secs` to finish, then stops the loop. A port that
//! cannot be listened on stops the program with a non-zero status and the reason.

use std::cell::Cell;
use std::io::Write;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use clap::Parser;
use torsion::application::{server_service, Application, Runner, Service, TimerService};
use torsion::{Cx, Protocol, Reactor};

#[path = "support/logging.rs"]
mod logging;

/// Runs echo servers and a ticking timer as one application.
#[derive(Parser)]
struct Args {
    /// Where an echo server listens, as an endpoint description (may be repeated).
    #[arg(long, value_name = "DESCRIPTION", default_values_t = ["tcp:8000".to_string()])]
    listen: Vec<String>,
    /// Milliseconds between ticks of the timer service.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    tick_ms: u64,
    /// Seconds the open connections get to finish after Ctrl-C or SIGTERM.
    #[arg(long, default_value_t = 5)]
    grace_secs: u64,
}

struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

fn main() -> ExitCode {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    let reactor = match Reactor::new() {
        Ok(reactor) => reactor,
        Err(failure) => {
            eprintln!("services_demo: {failure}");
            return ExitCode::FAILURE;
        }
    };
    let app = Application::new("services_demo");
    let failed = Rc::new(Cell::new(false));
    for description in &args.listen {
        let service = match server_service(&reactor, description, |_peer| Some(Echo)) {
            Ok(service) => service,
            Err(failure) => {
                eprintln!("services_demo: {}", failure.get_error_message());
                return ExitCode::FAILURE;
            }
        };
        let (r, f, what) = (reactor.clone(), failed.clone(), description.clone());
        drop(service.listening().add_callbacks(
            |port| {
                println!("listening on {}", port.get_host());
                let _ = std::io::stdout().flush();
                Ok(())
            },
            move |failure| {
                eprintln!("services_demo: cannot listen on {what}: {failure}");
                f.set(true);
                r.stop();
                Ok(())
            },
        ));
        if let Err(duplicate) = app.add_service(service.named(description.clone())) {
            eprintln!("services_demo: {duplicate}");
            return ExitCode::FAILURE;
        }
    }
    let ticks = Rc::new(Cell::new(0u64));
    let t = ticks.clone();
    let timer = TimerService::new(&reactor, Duration::from_millis(args.tick_ms), move || {
        t.set(t.get() + 1);
        println!("tick {}", t.get());
        let _ = std::io::stdout().flush();
    });
    app.add_service(timer.named("timer"))
        .expect("the timer's name is free");

    let runner = match Runner::new(&reactor, &app) {
        Ok(runner) => runner.grace_period(Duration::from_secs(args.grace_secs)),
        Err(failure) => {
            eprintln!("services_demo: {failure}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(failure) = runner.run() {
        eprintln!("services_demo: {failure}");
        return ExitCode::FAILURE;
    }
    if failed.get() {
        return ExitCode::FAILURE;
    }
    println!(
        "services stopped (running: {}) after {} ticks",
        app.running(),
        ticks.get()
    );
    ExitCode::SUCCESS
}
