//! Log output benchmarks: the cost of one `tracing::info!` event written to a file by
//! `torsion::cli::log` (Twisted's text line, or JSON), beside `tracing-subscriber`'s own
//! `fmt` subscriber writing its default line to the same kind of file, in the same run.
//!
//! ```text
//! cargo bench -p torsion-bench --bench log
//! ```
//!
//! Every figure is the time of ONE event with a message and two fields, from the macro
//! to the line written (one `write` system call each, both for torsion and for `fmt`, to
//! a file in the temporary directory, truncated before each benchmark).
//!
//! Settings are kept small (the machine is shared, with 2 cores): 1 s of warm-up, 3 s of
//! measurement, 20 samples per benchmark.

#[path = "support/config.rs"]
mod config;

use std::fs::File;
use std::path::PathBuf;
use std::sync::Mutex;

use criterion::{criterion_group, criterion_main, Criterion};
use torsion::cli::log::{LogDestination, LogFormat, LogOutput};
use tracing::{Dispatch, Level};

/// A fresh file for one benchmark's lines.
fn scratch_file(name: &str) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("torsion-bench-log-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// Runs `b` with `dispatch` as the thread's subscriber, logging one event per iteration.
fn bench_events(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    dispatch: Dispatch,
) {
    group.bench_function(name, |b| {
        tracing::dispatcher::with_default(&dispatch, || {
            b.iter(|| {
                tracing::info!(
                    peer = "127.0.0.1:5000",
                    bytes = std::hint::black_box(42_u64),
                    "echoed"
                )
            })
        })
    });
}

fn one_event(c: &mut Criterion) {
    let mut group = c.benchmark_group("one_event");
    let mut paths = Vec::new();
    for (name, format) in [
        ("torsion text", LogFormat::Text),
        ("torsion json", LogFormat::Json),
    ] {
        let path = scratch_file(name.split(' ').nth(1).expect("a format"));
        let output = LogOutput::open(LogDestination::File(path.clone()), format, "bench")
            .expect("open the log file");
        bench_events(
            &mut group,
            name,
            Dispatch::new(output.subscriber(Level::INFO)),
        );
        paths.push(path);
    }
    let path = scratch_file("fmt");
    let file = File::create(&path).expect("create the log file");
    let fmt = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(Level::INFO)
        .with_writer(Mutex::new(file))
        .finish();
    bench_events(&mut group, "tracing-subscriber fmt", Dispatch::new(fmt));
    paths.push(path);
    group.finish();
    for path in paths {
        let _ = std::fs::remove_file(path);
    }
}

criterion_group! {
    name = log;
    config = config::config();
    targets = one_event
}
criterion_main!(log);
