//! Deferreds and tasks on a real reactor: `spawn_local`, `sleep`, wakers used from other
//! threads.

mod util;

use std::cell::Cell;
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use torsion::defer::sleep;
use torsion::error::CancelledError;
use util::{reactor, run};

#[test]
fn spawn_local_runs_on_the_next_pass_not_inside_the_call() {
    let reactor = reactor();
    let polled = Rc::new(Cell::new(false));
    let (p, r) = (polled.clone(), reactor.clone());
    let done = reactor.spawn_local(async move {
        p.set(true);
        r.stop();
        7
    });
    assert!(!polled.get(), "not polled inside spawn_local");
    run(&reactor);
    assert!(polled.get());
    assert_eq!(done.take_result().unwrap().unwrap(), 7);
}

#[test]
fn a_task_sleeps_on_the_reactor_clock() {
    let reactor = reactor();
    let r = reactor.clone();
    let slept = reactor.spawn_local(async move {
        let start = std::time::Instant::now();
        sleep(&r, Duration::from_millis(20)).await.unwrap();
        r.stop();
        start.elapsed()
    });
    run(&reactor);
    assert!(slept.take_result().unwrap().unwrap() >= Duration::from_millis(20));
}

#[test]
fn a_waker_used_from_another_thread_wakes_the_loop() {
    let reactor = reactor();
    let r = reactor.clone();
    let flag = Arc::new(AtomicBool::new(false));
    let kept: Arc<Mutex<Option<Waker>>> = Arc::default();
    let (f, k) = (flag.clone(), kept.clone());
    let done = reactor.spawn_local(async move {
        let mut thread = None;
        poll_fn(|cx| {
            if f.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            if thread.is_none() {
                *k.lock().unwrap() = Some(cx.waker().clone());
                let (f, k) = (f.clone(), k.clone());
                thread = Some(std::thread::spawn(move || {
                    f.store(true, Ordering::SeqCst);
                    k.lock().unwrap().take().unwrap().wake();
                }));
            }
            Poll::Pending
        })
        .await;
        thread.unwrap().join().unwrap();
        r.stop();
        "woken"
    });
    run(&reactor);
    assert!(flag.load(Ordering::SeqCst));
    assert_eq!(done.take_result().unwrap().unwrap(), "woken");
}

#[test]
fn a_spawned_task_can_be_cancelled_before_it_runs() {
    let reactor = reactor();
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let task = reactor.spawn_local(async move { r.set(true) });
    task.cancel();
    let r = reactor.clone();
    reactor.call_when_running(move || r.stop());
    run(&reactor);
    assert!(!ran.get());
    assert!(task
        .take_result()
        .unwrap()
        .unwrap_err()
        .check::<CancelledError>());
}
