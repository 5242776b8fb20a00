//! Two members of a multicast group hear each other over loopback (Twisted's multicast
//! howto, ping and pong in one program).
//!
//! ```text
//! cargo run --example multicast_demo
//! cargo run --example multicast_demo -- --group 228.0.0.5 --interface 127.0.0.1
//! ```
//!
//! Members A and B bind the same port (`listen_multiple`), join the group on the
//! interface, and each sends one greeting to the group. Each prints what it hears (its own
//! greeting comes back too: loopback mode is on). It exits 0 once each has heard the
//! other, 1 (saying why) if that takes longer than `--timeout` seconds.

use std::cell::Cell;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use clap::Parser;
use torsion::{Address, DatagramCx, DatagramProtocol, DatagramTransport, Reactor, ReactorTime};

#[path = "support/logging.rs"]
mod logging;

/// Two group members greet each other.
#[derive(Parser)]
struct Args {
    /// The multicast group.
    #[arg(long, default_value = "228.0.0.5")]
    group: String,
    /// The interface to join on and send through.
    #[arg(long, default_value = "127.0.0.1")]
    interface: String,
    /// The port both members bind (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Seconds to wait for both greetings.
    #[arg(long, default_value_t = 5)]
    timeout: u64,
}

/// One member: prints what it hears, and notes when it hears `expect`.
struct Member {
    name: &'static str,
    expect: Vec<u8>,
    heard_other: Rc<Cell<bool>>,
    done: Rc<dyn Fn()>,
}

impl DatagramProtocol for Member {
    fn datagram_received(&mut self, _cx: &mut DatagramCx<Self>, data: &[u8], from: Address) {
        println!(
            "member {} heard {:?} from {from}",
            self.name,
            String::from_utf8_lossy(data)
        );
        if data == self.expect.as_slice() && !self.heard_other.replace(true) {
            (self.done)();
        }
    }
}

fn join(
    reactor: &Reactor,
    args: &Args,
    port: u16,
    member: Member,
) -> torsion::Result<DatagramTransport> {
    let transport = reactor.listen_multicast(port, member, true)?;
    transport.join_group(&args.group, &args.interface)?;
    transport.set_outgoing_interface(&args.interface)?;
    Ok(transport)
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::WARN);
    let args = Args::parse();
    let reactor = Reactor::new()?;
    let (a_heard, b_heard) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
    let (a, b, r) = (a_heard.clone(), b_heard.clone(), reactor.clone());
    let done: Rc<dyn Fn()> = Rc::new(move || {
        if a.get() && b.get() {
            r.stop();
        }
    });
    let member = |name, other: &str, heard: &Rc<Cell<bool>>| Member {
        name,
        expect: format!("hello from {other}").into_bytes(),
        heard_other: heard.clone(),
        done: done.clone(),
    };
    let first = join(&reactor, &args, args.port, member("A", "B", &a_heard));
    let pair = first.and_then(|a| {
        let port = a.get_host().port().unwrap_or(args.port);
        Ok((a, join(&reactor, &args, port, member("B", "A", &b_heard))?))
    });
    let (a, b) = match pair {
        Ok(pair) => pair,
        Err(failure) => {
            eprintln!("multicast_demo: {}", failure.get_error_message());
            return Ok(ExitCode::FAILURE);
        }
    };
    let port = a.get_host().port().unwrap_or(args.port);
    let group: Address = match format!("{}:{port}", args.group).parse() {
        Ok(addr) => Address::Udp(addr),
        Err(_) => {
            eprintln!("multicast_demo: {} is not an IP address", args.group);
            return Ok(ExitCode::FAILURE);
        }
    };
    println!("members A and B joined {} on port {port}", args.group);
    a.write(b"hello from A", group.clone())?;
    b.write(b"hello from B", group)?;
    let timed_out = Rc::new(Cell::new(false));
    let (t, r) = (timed_out.clone(), reactor.clone());
    reactor.call_later(Duration::from_secs(args.timeout), move || {
        t.set(true);
        r.stop();
    });
    reactor.run()?;
    if timed_out.get() {
        eprintln!(
            "multicast_demo: after {} s, A heard B: {}, B heard A: {}",
            args.timeout,
            a_heard.get(),
            b_heard.get()
        );
        return Ok(ExitCode::FAILURE);
    }
    println!("both members heard each other");
    Ok(ExitCode::SUCCESS)
}
