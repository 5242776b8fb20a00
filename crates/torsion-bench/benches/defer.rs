//! Deferred and task micro-benchmarks, each beside a peer measured in the same run.
//!
//! ```text
//! cargo bench -p torsion-bench --bench defer
//! cargo bench -p torsion-bench --bench defer -- spawn   # only the benchmarks whose name matches
//! ```
//!
//! Every figure criterion prints is the time of ONE operation (the batched benchmarks divide
//! by the batch size themselves).
//!
//! - `deferred_chain_10/{torsion,boxed closures}`: make a `Deferred<u64>`, add 10 callbacks
//!   `n + k`, fire it, take the result. tokio has nothing like it; the peer is the floor any
//!   type-erased chain pays: 10 boxed `FnOnce(u64) -> u64` in a `Vec`, called in turn. Each
//!   closure captures the same 8 bytes on both sides, so each is one allocation.
//! - `await_fired_deferred/{torsion,tokio oneshot}`: inside a running task, make a result
//!   that is already there and `.await` it: `Deferred::succeed(i).await` in a task started
//!   by `ensure_deferred`, against a tokio `oneshot` sent before `rx.await` inside
//!   `LocalSet::block_on` on a current-thread runtime. Each task entry runs a batch of
//!   [`BATCH`] awaits, so the entry costs next to nothing per await.
//! - `spawn_and_complete/{torsion ensure_deferred,torsion spawn_local,tokio spawn_local,tokio
//!   spawn_local + oneshot}`:
//!   spawn a task whose future is ready at once and get its output back to the caller.
//!   `ensure_deferred(async { Ok(1) })` polls it inside the call, and `take_result` gives the
//!   output. `Reactor::spawn_local(async { 1 })` first polls it on the executor's next pass:
//!   a task spawns [`BATCH`] of them, then awaits each Deferred; the executor runs the
//!   spawned tasks as soon as that task yields, and wakes it when they are done (the reactor
//!   is never run: the thread's executor is the same one). tokio does the same inside one
//!   `LocalSet::block_on`: [`BATCH`] `tokio::task::spawn_local(async { 1 })`, then each
//!   `JoinHandle` awaited; and, the peer the issue names, the same with the output sent back
//!   through a `oneshot` (`tokio spawn_local + oneshot`). The runtime and the `LocalSet` are
//!   made once, outside the measurement.
//!
//! Settings are kept small (the machine is shared, with 2 cores): 1 s of warm-up, 3 s of
//! measurement, 20 samples per benchmark.

#[path = "support/config.rs"]
mod config;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;
use tokio::task::LocalSet;
use torsion::defer::{ensure_deferred, Deferred};
use torsion::{Failure, Reactor};

/// Operations per task entry (or per runtime entry, for tokio) in the batched benchmarks.
const BATCH: u64 = 1000;
/// Callbacks on each chain of `deferred_chain_10`.
const LINKS: usize = 10;

fn quiet_reactor() -> Reactor {
    let reactor = Reactor::new().expect("create a reactor");
    reactor.set_install_signal_handlers(false);
    reactor
}

/// A current-thread runtime and a `LocalSet` to run `!Send` tasks on it: tokio's closest
/// match to a reactor's thread-bound executor.
fn tokio_local() -> (Runtime, LocalSet) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("build a current-thread runtime");
    (runtime, LocalSet::new())
}

/// Splits `iters` operations into batches of at most [`BATCH`], runs `batch` on each and
/// returns the total time; `batch` returns the sum of its outputs, checked to be `n`.
fn batched(iters: u64, mut batch: impl FnMut(u64) -> u64) -> Duration {
    let start = Instant::now();
    let mut left = iters;
    while left > 0 {
        let n = left.min(BATCH);
        let sum = batch(n);
        assert_eq!(sum, n, "every operation gave its output");
        black_box(sum);
        left -= n;
    }
    start.elapsed()
}

fn chain_torsion(k: u64) -> u64 {
    let head: Deferred<u64> = Deferred::new();
    let mut tail = head.clone();
    for _ in 0..LINKS {
        tail = tail.add_callback(move |n: u64| Ok::<_, Failure>(n + k));
    }
    head.callback(0).expect("fire a new Deferred");
    tail.take_result()
        .expect("every callback has run")
        .expect("no callback failed")
}

fn chain_boxed(k: u64) -> u64 {
    let mut links: Vec<Box<dyn FnOnce(u64) -> u64>> = Vec::new();
    for _ in 0..LINKS {
        links.push(Box::new(move |n| n + k));
    }
    links.into_iter().fold(black_box(0), |n, link| link(n))
}

fn bench_chain(c: &mut Criterion) {
    let mut group = c.benchmark_group("deferred_chain_10");
    group.bench_function("torsion", |b| b.iter(|| chain_torsion(black_box(1))));
    group.bench_function("boxed closures", |b| b.iter(|| chain_boxed(black_box(1))));
    group.finish();
}

fn bench_await(c: &mut Criterion) {
    let mut group = c.benchmark_group("await_fired_deferred");
    group.bench_function("torsion", |b| {
        b.iter_custom(|iters| {
            batched(iters, |n| {
                let done = ensure_deferred(async move {
                    let mut sum = 0;
                    for _ in 0..n {
                        sum += Deferred::succeed(black_box(1u64)).await?;
                    }
                    Ok(sum)
                });
                done.take_result()
                    .expect("the task ran to its end")
                    .expect("no await failed")
            })
        })
    });
    let (runtime, local) = tokio_local();
    group.bench_function("tokio oneshot", |b| {
        b.iter_custom(|iters| {
            batched(iters, |n| {
                local.block_on(&runtime, async move {
                    let mut sum = 0;
                    for _ in 0..n {
                        let (tx, rx) = oneshot::channel();
                        tx.send(black_box(1u64)).expect("the receiver is alive");
                        sum += rx.await.expect("the value was sent");
                    }
                    sum
                })
            })
        })
    });
    group.finish();
}

fn bench_spawn(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_and_complete");
    group.bench_function("torsion ensure_deferred", |b| {
        b.iter_custom(|iters| {
            batched(iters, |n| {
                (0..n)
                    .map(|_| {
                        ensure_deferred(async { Ok(black_box(1u64)) })
                            .take_result()
                            .expect("the task ran at once")
                            .expect("the task did not fail")
                    })
                    .sum()
            })
        })
    });
    let reactor = quiet_reactor();
    group.bench_function("torsion spawn_local", |b| {
        b.iter_custom(|iters| {
            batched(iters, |n| {
                let reactor = reactor.clone();
                let done = ensure_deferred(async move {
                    let spawned: Vec<Deferred<u64>> = (0..n)
                        .map(|_| reactor.spawn_local(async { black_box(1u64) }))
                        .collect();
                    let mut sum = 0;
                    for task in spawned {
                        sum += task.await?;
                    }
                    Ok(sum)
                });
                done.take_result()
                    .expect("the spawned tasks ran before the call returned")
                    .expect("no task failed")
            })
        })
    });
    let (runtime, local) = tokio_local();
    group.bench_function("tokio spawn_local", |b| {
        b.iter_custom(|iters| {
            batched(iters, |n| {
                local.block_on(&runtime, async move {
                    let spawned: Vec<_> = (0..n)
                        .map(|_| tokio::task::spawn_local(async { black_box(1u64) }))
                        .collect();
                    let mut sum = 0;
                    for task in spawned {
                        sum += task.await.expect("the task did not panic");
                    }
                    sum
                })
            })
        })
    });
    group.bench_function("tokio spawn_local + oneshot", |b| {
        b.iter_custom(|iters| {
            batched(iters, |n| {
                local.block_on(&runtime, async move {
                    let replies: Vec<_> = (0..n)
                        .map(|_| {
                            let (tx, rx) = oneshot::channel();
                            drop(tokio::task::spawn_local(async move {
                                let _ = tx.send(black_box(1u64));
                            }));
                            rx
                        })
                        .collect();
                    let mut sum = 0;
                    for reply in replies {
                        sum += reply.await.expect("the task sent its output");
                    }
                    sum
                })
            })
        })
    });
    group.finish();
}

criterion_group! {
    name = defer;
    config = config::config();
    targets = bench_chain, bench_await, bench_spawn
}
criterion_main!(defer);
