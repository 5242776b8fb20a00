//! Child-process benchmarks: what starting a child and hearing its end costs, and how fast
//! a child's output is read through its pipe, beside `std::process::Command` (which blocks
//! its thread; the reactor does not).
//!
//! ```text
//! cargo bench -p torsion-bench --bench process
//! ```
//!
//! - `spawn_until_ended/{torsion,std}`: start `/bin/true` and wait for its end:
//!   `spawn_process` and a reactor run until `process_ended` (pipes on the stream engine,
//!   a pidfd, the reap) against `Command::status`.
//! - `read_stdout_16MiB/{torsion,std}`: read 16 MiB a child (`head -c 16777216
//!   /dev/zero`) writes to its stdout, counting the bytes in `out_received`, against
//!   `Command::output`. Throughput is reported per byte.
//!
//! Settings are kept small (the machine is shared, with 2 cores): 1 s of warm-up, 3 s of
//! measurement, 20 samples per benchmark.

#[path = "support/config.rs"]
mod config;

use std::cell::Cell;
use std::process::{Command, Stdio};
use std::rc::Rc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use torsion::{Failure, ProcessCx, ProcessOptions, ProcessProtocol, Reactor};

const FLOOD: usize = 16 * 1024 * 1024;

/// Counts the child's output; stops the reactor at the end.
struct Count(Rc<Cell<usize>>);

impl ProcessProtocol for Count {
    fn out_received(&mut self, _cx: &mut ProcessCx<Self>, data: &[u8]) {
        self.0.set(self.0.get() + data.len());
    }

    fn process_ended(&mut self, cx: &mut ProcessCx<Self>, _reason: &Failure) {
        cx.reactor().stop();
    }
}

/// Runs `args` on `reactor` to its end; returns what it wrote to stdout.
fn run(reactor: &Reactor, args: &[&str]) -> usize {
    let count = Rc::new(Cell::new(0));
    let options = ProcessOptions::default().inherit_env();
    reactor
        .spawn_process(Count(count.clone()), args[0], args, options)
        .expect("spawn");
    reactor.run().expect("run");
    count.get()
}

fn spawn_until_ended(c: &mut Criterion) {
    let reactor = Reactor::new().expect("reactor");
    reactor.set_install_signal_handlers(false);
    let mut group = c.benchmark_group("spawn_until_ended");
    group.bench_function("torsion", |b| b.iter(|| run(&reactor, &["/bin/true"])));
    group.bench_function("std", |b| {
        b.iter(|| Command::new("/bin/true").status().expect("status"))
    });
    group.finish();
}

fn read_stdout(c: &mut Criterion) {
    let reactor = Reactor::new().expect("reactor");
    reactor.set_install_signal_handlers(false);
    let count = FLOOD.to_string();
    let args = ["head", "-c", count.as_str(), "/dev/zero"];
    let mut group = c.benchmark_group("read_stdout_16MiB");
    group.throughput(Throughput::Bytes(FLOOD as u64));
    group.bench_function("torsion", |b| {
        b.iter(|| assert_eq!(run(&reactor, &args), FLOOD))
    });
    group.bench_function("std", |b| {
        b.iter(|| {
            let out = Command::new(args[0])
                .args(&args[1..])
                .stdin(Stdio::null())
                .output()
                .expect("output");
            assert_eq!(out.stdout.len(), FLOOD);
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = config::config();
    targets = spawn_until_ended, read_stdout
}
criterion_main!(benches);
