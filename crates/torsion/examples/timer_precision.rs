//! Timer precision: how late does a 1 ms `call_later` fire on a running reactor?
//!
//! ```text
//! cargo run --release --example timer_precision -- --count 2000 --mode all
//! ```
//!
//! Chains `--count` calls of `call_later(1 ms)` (each callback schedules the next) and
//! records, for each, how long after its due time it ran: `Instant` in the callback minus
//! (`Instant` at scheduling + 1 ms). Prints p50 / p99 / max of that lateness, one line per
//! mode:
//!
//! - `idle`: nothing else runs on the reactor.
//! - `busy`: the same reactor serves an echo listener on 127.0.0.1:0 while a load thread
//!   of this process keeps [`LOAD_CONNS`] connections busy with 64-byte request/response
//!   round trips (one request in flight on each connection). The echo round-trip rate
//!   during the measurement is printed too.
//! - `idle+pending`, `busy+pending`: the same after scheduling 1,000,000 calls a year
//!   ahead, to show a big timer heap slows neither timers nor I/O.
//!
//! `--mode` picks `idle`, `busy`, `both` (idle then busy), `pending` (the two `+pending`
//! modes) or `all` (the four, the default). `--delay-us` measures another delay than 1 ms.
//! Lateness is never negative: a call never runs before it is due.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use torsion::{Cx, ListenOptions, Protocol, Reactor, ReactorTime};

#[path = "support/logging.rs"]
mod logging;

/// Connections the load thread keeps busy in the busy modes.
const LOAD_CONNS: usize = 50;
/// Size of one echo request (and of its response).
const MESSAGE: usize = 64;
/// Far-future calls scheduled in the pending modes.
const PENDING: usize = 1_000_000;
/// Round trips the load must have made before the measurement starts.
const WARM_UP_ROUND_TRIPS: u64 = 1000;

/// Measures how late 1 ms timers fire, idle and under echo load.
#[derive(Parser)]
struct Args {
    /// Timers to chain in each mode.
    #[arg(long, default_value_t = 2000)]
    count: usize,
    /// The delay of each timer, in microseconds.
    #[arg(long, default_value_t = 1000)]
    delay_us: u64,
    /// Which modes to run.
    #[arg(long, value_enum, default_value_t = Mode::All)]
    mode: Mode,
}

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    /// Timers only.
    Idle,
    /// Timers while the reactor serves echo traffic.
    Busy,
    /// Idle, then busy.
    Both,
    /// Idle and busy, each with 1,000,000 far-future timers pending.
    Pending,
    /// The four above.
    All,
}

/// One measurement to make.
struct Run {
    busy: bool,
    pending: bool,
}

impl Run {
    fn name(&self) -> &'static str {
        match (self.busy, self.pending) {
            (false, false) => "idle",
            (true, false) => "busy",
            (false, true) => "idle+pending",
            (true, true) => "busy+pending",
        }
    }
}

struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

/// The load thread: [`LOAD_CONNS`] blocking clients, each sending one message and reading
/// its echo, round after round, until told to stop or the server goes away.
struct Load {
    stop: Arc<AtomicBool>,
    round_trips: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl Load {
    fn start(addr: SocketAddr) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let round_trips = Arc::new(AtomicU64::new(0));
        let (s, n) = (stop.clone(), round_trips.clone());
        let thread = std::thread::spawn(move || {
            if let Err(err) = Load::hammer(addr, &s, &n) {
                if !s.load(Ordering::Relaxed) {
                    eprintln!("load thread: {err}");
                }
            }
        });
        Load {
            stop,
            round_trips,
            thread: Some(thread),
        }
    }

    fn hammer(addr: SocketAddr, stop: &AtomicBool, round_trips: &AtomicU64) -> std::io::Result<()> {
        let mut conns = Vec::with_capacity(LOAD_CONNS);
        for _ in 0..LOAD_CONNS {
            let conn = TcpStream::connect(addr)?;
            conn.set_nodelay(true)?;
            conn.set_read_timeout(Some(Duration::from_secs(10)))?;
            conns.push(conn);
        }
        let request = [b'x'; MESSAGE];
        let mut response = [0u8; MESSAGE];
        while !stop.load(Ordering::Relaxed) {
            for conn in &mut conns {
                conn.write_all(&request)?;
            }
            for conn in &mut conns {
                conn.read_exact(&mut response)?;
            }
            round_trips.fetch_add(LOAD_CONNS as u64, Ordering::Relaxed);
        }
        Ok(())
    }

    fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What one mode measured.
struct Outcome {
    /// Lateness of each timer, in nanoseconds.
    late: Vec<u64>,
    /// Echo round trips per second during the measurement (busy modes).
    echo_rate: Option<f64>,
}

/// Chains `count` timers of `delay` on `reactor`, pushing each one's lateness into `late`;
/// the last one calls `done`.
fn chain(
    reactor: &Reactor,
    late: Rc<std::cell::RefCell<Vec<u64>>>,
    delay: Duration,
    count: usize,
    done: impl FnOnce() + 'static,
) {
    let scheduled = Instant::now();
    let r = reactor.clone();
    reactor.call_later(delay, move || {
        let lateness = scheduled.elapsed().saturating_sub(delay);
        late.borrow_mut()
            .push(u64::try_from(lateness.as_nanos()).unwrap_or(u64::MAX));
        if count > 1 {
            chain(&r, late, delay, count - 1, done);
        } else {
            done();
        }
    });
}

/// Calls `f` once `ready` holds, checking every 10 ms.
fn when(reactor: &Reactor, ready: impl Fn() -> bool + 'static, f: impl FnOnce() + 'static) {
    if ready() {
        return f();
    }
    let r = reactor.clone();
    reactor.call_later(Duration::from_millis(10), move || when(&r, ready, f));
}

fn measure(run: &Run, delay: Duration, count: usize) -> torsion::Result<Outcome> {
    let reactor = Reactor::new()?;
    if run.pending {
        let start = Instant::now();
        let scheduler = reactor.scheduler();
        for _ in 0..PENDING {
            scheduler.call_later(Duration::from_secs(365 * 24 * 3600), || {});
        }
        eprintln!(
            "{}: scheduled {PENDING} far-future timers in {} ms",
            run.name(),
            start.elapsed().as_millis()
        );
    }
    let load = if run.busy {
        let options = ListenOptions {
            interface: "127.0.0.1".into(),
            ..ListenOptions::default()
        };
        let port = reactor.listen_tcp_with(0, |_peer| Some(Echo), options)?;
        Some(Rc::new(Load::start(port.get_host())))
    } else {
        None
    };

    let late = Rc::new(std::cell::RefCell::new(Vec::with_capacity(count)));
    let window = Rc::new(std::cell::Cell::new(None));
    let (r, l, w, ld) = (reactor.clone(), late.clone(), window.clone(), load.clone());
    reactor.call_when_running(move || {
        let warm = ld.clone();
        let ready = move || {
            warm.as_ref()
                .map_or(true, |load| load.round_trips() >= WARM_UP_ROUND_TRIPS)
        };
        let r1 = r.clone();
        let begin = move || {
            let r = r1;
            let first = (
                Instant::now(),
                ld.as_ref().map_or(0, |load| load.round_trips()),
            );
            let r2 = r.clone();
            chain(&r, l, delay, count, move || {
                let last = ld.as_ref().map_or(0, |load| load.round_trips());
                w.set(Some((first, Instant::now(), last)));
                if let Some(load) = &ld {
                    load.stop.store(true, Ordering::Relaxed);
                }
                r2.stop();
            });
        };
        when(&r, ready, begin);
    });
    reactor.run()?;
    drop(reactor);
    drop(load);

    let echo_rate = match (run.busy, window.get()) {
        (true, Some(((start, before), end, after))) => {
            Some((after - before) as f64 / (end - start).as_secs_f64())
        }
        _ => None,
    };
    let late = std::mem::take(&mut *late.borrow_mut());
    Ok(Outcome { late, echo_rate })
}

fn percentile(sorted: &[u64], p: usize) -> f64 {
    let index = (sorted.len() * p / 100).min(sorted.len() - 1);
    sorted[index] as f64 / 1000.0
}

fn main() -> torsion::Result<()> {
    logging::log_to_stderr(tracing::Level::WARN);
    let args = Args::parse();
    if args.count == 0 {
        eprintln!("--count must be at least 1");
        std::process::exit(2);
    }
    let (idle, busy) = (
        Run {
            busy: false,
            pending: false,
        },
        Run {
            busy: true,
            pending: false,
        },
    );
    let (idle_pending, busy_pending) = (
        Run {
            busy: false,
            pending: true,
        },
        Run {
            busy: true,
            pending: true,
        },
    );
    let runs = match args.mode {
        Mode::Idle => vec![idle],
        Mode::Busy => vec![busy],
        Mode::Both => vec![idle, busy],
        Mode::Pending => vec![idle_pending, busy_pending],
        Mode::All => vec![idle, busy, idle_pending, busy_pending],
    };
    let mut rates = Vec::new();
    for run in &runs {
        let mut outcome = measure(run, Duration::from_micros(args.delay_us), args.count)?;
        outcome.late.sort_unstable();
        let late = &outcome.late;
        let mut line = format!(
            "{}: n={} p50={:.1} us p99={:.1} us max={:.1} us",
            run.name(),
            late.len(),
            percentile(late, 50),
            percentile(late, 99),
            late[late.len() - 1] as f64 / 1000.0,
        );
        if let Some(rate) = outcome.echo_rate {
            line += &format!(" echo={rate:.0} round trips/s");
            rates.push((run.name(), rate));
        }
        println!("{line}");
    }
    if let [(plain, base), (pending, with)] = rates[..] {
        println!(
            "echo rate {pending} / {plain}: {:.2}",
            with / base.max(f64::MIN_POSITIVE)
        );
    }
    Ok(())
}
