//! The rules of Deferred, on the fake clock.

use std::cell::RefCell;
use std::future::{Future, IntoFuture};
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use super::test_support::logged;
use super::*;
use crate::error::{AlreadyCalledError, CallbackPanicked, CancelledError, TimeoutError};
use crate::testing::Clock;
use crate::{Failure, ReactorTime};

type Log = Rc<RefCell<Vec<String>>>;

fn log() -> Log {
    Rc::default()
}

fn entries(log: &Log) -> Vec<String> {
    log.borrow().clone()
}

fn boom() -> Failure {
    Failure::new(std::io::Error::other("boom"))
}

#[test]
fn callbacks_run_in_order_and_change_the_type() {
    let d: Deferred<u32> = Deferred::new();
    let out = d
        .clone()
        .add_callback(|n| Ok(n + 1))
        .add_callback(|n| Ok(n.to_string()))
        .add_callback(|s| Ok(format!("<{s}>")));
    assert!(out.take_result().is_none());
    d.callback(1).unwrap();
    assert_eq!(out.take_result().unwrap().unwrap(), "<2>");
}

#[test]
fn a_failure_skips_callbacks_until_an_errback_recovers() {
    let seen = log();
    let d: Deferred<u32> = Deferred::new();
    let (s1, s2, s3) = (seen.clone(), seen.clone(), seen.clone());
    let out = d
        .clone()
        .add_callback(move |n| {
            s1.borrow_mut().push(format!("cb1 {n}"));
            Err::<u32, _>(boom())
        })
        .add_callback(move |n| {
            s2.borrow_mut().push(format!("cb2 {n}"));
            Ok(n)
        })
        .add_errback(move |f| {
            s3.borrow_mut()
                .push(format!("eb {}", f.get_error_message()));
            Ok(7)
        })
        .add_callbacks(|n| Ok(n * 2), |_f| Ok(0));
    d.callback(1).unwrap();
    assert_eq!(entries(&seen), ["cb1 1", "eb boom"]);
    assert_eq!(out.take_result().unwrap().unwrap(), 14);
}

#[test]
fn add_both_sees_either_outcome() {
    let d = Deferred::<u8>::fail(boom()).add_both(|r| Ok(r.is_err()));
    assert!(d.take_result().unwrap().unwrap());
    let d = Deferred::succeed(3u8).add_both(|r| Ok(r.is_ok()));
    assert!(d.take_result().unwrap().unwrap());
}

#[test]
fn firing_twice_is_already_called() {
    let d = Deferred::new();
    d.callback(1).unwrap();
    assert!(d.callback(2).unwrap_err().check::<AlreadyCalledError>());
    assert!(d.errback(boom()).unwrap_err().check::<AlreadyCalledError>());
    assert_eq!(d.take_result().unwrap().unwrap(), 1);
}

#[test]
fn callbacks_added_after_the_result_run_at_once() {
    let d = Deferred::succeed(5).add_callback(|n| Ok(n * 3));
    assert_eq!(d.take_result().unwrap().unwrap(), 15);
}

#[test]
fn a_callback_added_from_inside_a_callback_runs_after_the_others() {
    let seen = log();
    let d: Deferred<()> = Deferred::new();
    let (inner_d, s1, s2) = (d.clone(), seen.clone(), seen.clone());
    let _ = d.clone().add_callback(move |()| {
        let s = s1.clone();
        // Added to the running chain: appended, not run inside this callback.
        let _ = inner_d.clone().add_callback(move |()| {
            s.borrow_mut().push("added inside".to_string());
            Ok(())
        });
        s1.borrow_mut().push("first".to_string());
        Ok(())
    });
    let _ = d.clone().add_callback(move |()| {
        s2.borrow_mut().push("second".to_string());
        Ok(())
    });
    d.callback(()).unwrap();
    assert_eq!(entries(&seen), ["first", "second", "added inside"]);
}

#[test]
fn a_returned_deferred_makes_the_chain_wait() {
    let seen = log();
    let outer: Deferred<u32> = Deferred::new();
    let inner: Deferred<u32> = Deferred::new();
    let (i, s1, s2) = (inner.clone(), seen.clone(), seen.clone());
    let inner_tail = inner.clone().add_callback(move |n| {
        s1.borrow_mut().push(format!("inner {n}"));
        Ok(n + 1)
    });
    drop(inner_tail);
    let out = outer
        .clone()
        .add_callback(move |_| i)
        .add_callback(move |n| {
            s2.borrow_mut().push(format!("outer {n}"));
            Ok(n * 10)
        });
    outer.callback(0).unwrap();
    assert!(outer.paused(), "waiting on the inner Deferred");
    assert!(entries(&seen).is_empty());
    inner.callback(4).unwrap();
    assert_eq!(entries(&seen), ["inner 4", "outer 5"]);
    assert_eq!(out.take_result().unwrap().unwrap(), 50);
}

#[test]
fn a_returned_deferred_with_a_result_is_used_at_once() {
    let out = Deferred::succeed(1).add_callback(|n| Deferred::succeed(n + 1));
    assert_eq!(out.take_result().unwrap().unwrap(), 2);
    let out = Deferred::succeed(1).add_callback(|_| Deferred::<u8>::fail(boom()));
    assert!(out.take_result().unwrap().is_err());
}

#[test]
fn an_inner_deferred_fired_while_the_outer_chain_runs() {
    let seen = log();
    let outer: Deferred<u32> = Deferred::new();
    let inner: Deferred<u32> = Deferred::new();
    let (i, s1, s2) = (inner.clone(), seen.clone(), seen.clone());
    let inner = inner.add_callback(move |n| {
        s1.borrow_mut().push(format!("inner cb {n}"));
        Ok(n + 1)
    });
    let out = outer
        .clone()
        .add_callback(move |n| {
            // Fired from inside the outer chain's own callback, then returned.
            i.callback(n).unwrap();
            i
        })
        .add_callback(move |n| {
            s2.borrow_mut().push(format!("outer cb {n}"));
            Ok(n)
        });
    outer.callback(1).unwrap();
    assert_eq!(entries(&seen), ["inner cb 1", "outer cb 2"]);
    assert_eq!(out.take_result().unwrap().unwrap(), 2);
    // The inner Deferred's result went to the outer chain.
    assert!(inner.take_result().is_none());
}

#[test]
fn a_hundred_thousand_nested_deferreds_do_not_overflow_the_stack() {
    const N: usize = 100_000;
    let ds: Vec<Deferred<usize>> = (0..N).map(|_| Deferred::new()).collect();
    let first = ds[0].clone();
    let mut tails = Vec::with_capacity(N);
    for i in 0..N - 1 {
        let next = ds[i + 1].clone();
        tails.push(ds[i].clone().add_callback(move |_| next));
    }
    for d in &ds[..N - 1] {
        d.callback(0).unwrap();
    }
    drop(tails);
    ds[N - 1].callback(42).unwrap();
    assert_eq!(first.take_result().unwrap().unwrap(), 42);
}

#[test]
fn a_callback_returning_its_own_deferred_fails() {
    let d: Deferred<u32> = Deferred::new();
    let me = Rc::new(RefCell::new(None::<Deferred<u32>>));
    let m = me.clone();
    let out = d
        .clone()
        .add_callback(move |_| m.borrow_mut().take().unwrap());
    *me.borrow_mut() = Some(out.clone());
    d.callback(1).unwrap();
    let failure = out.take_result().unwrap().unwrap_err();
    assert!(failure.check::<crate::error::DeferredLoop>());
}

#[test]
fn pause_holds_the_callbacks_until_unpause() {
    let d: Deferred<u32> = Deferred::new();
    d.pause();
    let out = d.clone().add_callback(|n| Ok(n + 1));
    d.callback(1).unwrap();
    assert!(out.take_result().is_none());
    d.pause();
    d.unpause();
    assert!(out.take_result().is_none(), "paused twice, unpaused once");
    d.unpause();
    assert_eq!(out.take_result().unwrap().unwrap(), 2);
}

#[test]
fn cancel_without_canceller_fails_and_eats_one_late_result() {
    let d: Deferred<u32> = Deferred::new();
    d.cancel();
    d.callback(1).unwrap();
    assert!(d.callback(2).unwrap_err().check::<AlreadyCalledError>());
    assert!(d
        .take_result()
        .unwrap()
        .unwrap_err()
        .check::<CancelledError>());
}

#[test]
fn cancel_calls_the_canceller_which_may_give_a_result() {
    let d = Deferred::with_canceller(|d: &Deferred<&str>| d.callback("stopped").unwrap());
    d.cancel();
    assert_eq!(d.take_result().unwrap().unwrap(), "stopped");

    let calls = Rc::new(RefCell::new(0));
    let c = calls.clone();
    let d = Deferred::<u32>::with_canceller(move |_| *c.borrow_mut() += 1);
    d.cancel();
    assert_eq!(*calls.borrow(), 1);
    assert!(d
        .take_result()
        .unwrap()
        .unwrap_err()
        .check::<CancelledError>());
    // With a canceller, a late result is a programming error (Twisted raises too).
    assert!(d.callback(1).unwrap_err().check::<AlreadyCalledError>());
    d.cancel();
    assert_eq!(
        *calls.borrow(),
        1,
        "cancelling a called Deferred does nothing"
    );
}

#[test]
fn cancel_while_waiting_cancels_the_inner_deferred() {
    let cancelled = Rc::new(RefCell::new(false));
    let c = cancelled.clone();
    let inner = Deferred::<u32>::with_canceller(move |_| *c.borrow_mut() = true);
    let outer: Deferred<u32> = Deferred::new();
    let i = inner.clone();
    let out = outer.clone().add_callback(move |_| i);
    outer.callback(0).unwrap();
    out.cancel();
    assert!(*cancelled.borrow());
    assert!(out
        .take_result()
        .unwrap()
        .unwrap_err()
        .check::<CancelledError>());
}

#[test]
fn a_panicking_callback_fails_the_chain() {
    let out = Deferred::succeed(1u32)
        .add_callback(|_| -> Result<u32, Failure> { panic!("in a callback") })
        .add_errback(|f| {
            assert!(f.check::<CallbackPanicked>());
            assert!(f.get_error_message().contains("in a callback"));
            Ok(9)
        });
    assert_eq!(out.take_result().unwrap().unwrap(), 9);
}

#[test]
fn add_timeout_fails_with_timeout_error_on_the_clock() {
    let clock = Clock::new();
    let d = Deferred::<u32>::new().add_timeout(Duration::from_secs(3), &clock);
    clock.advance(Duration::from_secs(2));
    assert!(!d.called());
    clock.advance(Duration::from_secs(1));
    assert!(d
        .take_result()
        .unwrap()
        .unwrap_err()
        .check::<TimeoutError>());
}

#[test]
fn add_timeout_is_cancelled_by_the_result() {
    let clock = Clock::new();
    let d: Deferred<u32> = Deferred::new();
    let out = d.clone().add_timeout(Duration::from_secs(3), &clock);
    d.callback(8).unwrap();
    assert!(clock.get_delayed_calls().is_empty(), "timer cancelled");
    assert_eq!(out.take_result().unwrap().unwrap(), 8);
}

#[test]
fn a_user_cancel_under_a_timeout_stays_cancelled() {
    let clock = Clock::new();
    let d = Deferred::<u32>::new().add_timeout(Duration::from_secs(3), &clock);
    d.cancel();
    assert!(d
        .take_result()
        .unwrap()
        .unwrap_err()
        .check::<CancelledError>());
    assert!(clock.get_delayed_calls().is_empty());
}

#[test]
fn defer_later_runs_on_the_clock_and_cancels() {
    let clock = Clock::new();
    let ran = Rc::new(RefCell::new(false));
    let r = ran.clone();
    let d = defer_later(&clock, Duration::from_secs(1), move || {
        *r.borrow_mut() = true;
        Ok(())
    });
    d.cancel();
    clock.advance(Duration::from_secs(2));
    assert!(!*ran.borrow());
    assert!(d
        .take_result()
        .unwrap()
        .unwrap_err()
        .check::<CancelledError>());
    assert!(clock.get_delayed_calls().is_empty());
}

#[test]
fn an_unhandled_failure_is_logged_with_where_it_was_made_and_failed() {
    let out = logged(|| {
        let d: Deferred<u32> = Deferred::new();
        let tail = d.clone().add_callback(|n| Ok(n + 1));
        d.errback(boom()).unwrap();
        drop((d, tail));
    });
    assert!(out.contains("Unhandled error in Deferred"), "{out}");
    assert!(out.contains("boom"), "{out}");
    let this_file = file!();
    assert_eq!(
        out.matches(this_file).count(),
        2,
        "created_at and failed_at: {out}"
    );
}

#[test]
fn a_failure_from_a_callback_names_where_the_callback_was_added() {
    let mut line = 0;
    let out = logged(|| {
        line = line!() + 1;
        let d = Deferred::succeed(1u8).add_callback(|_| Err::<u8, _>(boom()));
        drop(d);
    });
    let logged_line = out
        .lines()
        .find(|l| l.contains("Unhandled error"))
        .expect("logged");
    let site = format!("failed_at={}:{line}:", file!());
    assert!(logged_line.contains(&site), "{site} in {logged_line}");
}

#[test]
fn handled_or_taken_failures_are_not_logged() {
    let out = logged(|| {
        let d = Deferred::<u8>::fail(boom()).add_errback(|_| Ok(0));
        drop(d);
        let d = Deferred::<u8>::fail(boom());
        assert!(d.take_result().unwrap().is_err());
        drop(d);
        // Handed on to an outer chain that handles it: neither logs.
        let inner = Deferred::<u8>::fail(boom());
        let outer = Deferred::succeed(()).add_callback(move |()| inner);
        let outer = outer.add_errback(|_| Ok(1));
        drop(outer);
    });
    assert!(!out.contains("Unhandled"), "{out}");
}

#[test]
fn an_async_fn_and_a_callback_caller_use_each_other() {
    let clock = Clock::new();

    // Callback style, used from async code.
    fn lookup(clock: &Clock, name: &'static str) -> Deferred<usize> {
        defer_later(clock, Duration::from_secs(1), move || Ok(name.len()))
    }
    async fn total(clock: Clock) -> Result<usize, Failure> {
        let a = lookup(&clock, "alpha").await?;
        let b = lookup(&clock, "be").await?;
        Ok(a + b)
    }

    // Async style, used from callback code.
    let seen = log();
    let s = seen.clone();
    let d = ensure_deferred(total(clock.clone())).add_callback(move |n| {
        s.borrow_mut().push(format!("total {n}"));
        Ok(())
    });
    clock.advance(Duration::from_secs(1));
    assert!(entries(&seen).is_empty());
    clock.advance(Duration::from_secs(1));
    assert_eq!(entries(&seen), ["total 7"]);
    assert!(d.take_result().unwrap().is_ok());
}

#[test]
fn ensure_deferred_runs_at_once_and_fails_on_error_or_panic() {
    let d = ensure_deferred(async { Ok(5) });
    assert_eq!(d.take_result().unwrap().unwrap(), 5);
    let d: Deferred<u8> = ensure_deferred(async { Err(boom()) });
    assert!(d.take_result().unwrap().is_err());
    let d: Deferred<u8> = ensure_deferred(async { panic!("in a task") });
    let failure = d.take_result().unwrap().unwrap_err();
    assert!(failure.check::<CallbackPanicked>(), "{failure}");
}

/// Sets its flag when dropped.
struct DropFlag(Rc<RefCell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        *self.0.borrow_mut() = true;
    }
}

#[test]
fn cancelling_a_task_cancels_the_deferred_it_awaits() {
    let cancelled = Rc::new(RefCell::new(false));
    let c = cancelled.clone();
    let awaited = Deferred::<u32>::with_canceller(move |_| *c.borrow_mut() = true);
    let a = awaited.clone();
    let task = ensure_deferred(async move { a.await });
    task.cancel();
    assert!(*cancelled.borrow(), "the awaited Deferred's canceller ran");
    assert!(task
        .take_result()
        .unwrap()
        .unwrap_err()
        .check::<CancelledError>());
}

#[test]
fn a_task_may_handle_the_cancel_of_what_it_awaits() {
    let awaited: Deferred<u32> = Deferred::new();
    let a = awaited.clone();
    let task = ensure_deferred(async move {
        match a.await {
            Err(failure) if failure.check::<CancelledError>() => Ok(0),
            other => other,
        }
    });
    task.cancel();
    assert_eq!(task.take_result().unwrap().unwrap(), 0);
}

#[test]
fn cancelling_a_task_that_awaits_no_deferred_drops_its_future() {
    let dropped = Rc::new(RefCell::new(false));
    let flag = DropFlag(dropped.clone());
    let task: Deferred<()> = ensure_deferred(async move {
        let _flag = flag;
        std::future::pending::<()>().await;
        Ok(())
    });
    assert!(!*dropped.borrow());
    task.cancel();
    assert!(*dropped.borrow());
    assert!(task
        .take_result()
        .unwrap()
        .unwrap_err()
        .check::<CancelledError>());
}

#[test]
fn dropping_an_awaiting_future_leaves_the_deferred_alone() {
    let d: Deferred<u32> = Deferred::new();
    {
        let mut fut = Box::pin(d.clone().into_future());
        let waker = noop_waker();
        assert!(fut
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
    }
    d.callback(3).unwrap();
    assert_eq!(
        d.clone()
            .add_callback(|n| Ok(n + 1))
            .take_result()
            .unwrap()
            .unwrap(),
        4
    );
}

#[test]
fn awaiting_a_fired_deferred_is_ready_at_once() {
    let mut fut = Box::pin(Deferred::succeed(1u8).into_future());
    let waker = noop_waker();
    assert!(matches!(
        fut.as_mut().poll(&mut Context::from_waker(&waker)),
        Poll::Ready(Ok(1))
    ));
}

#[test]
fn sleep_wakes_a_task_on_the_fake_clock() {
    let clock = Clock::new();
    let c = clock.clone();
    let d = ensure_deferred(async move {
        sleep(&c, Duration::from_secs(10)).await?;
        Ok(c.seconds())
    });
    clock.advance(Duration::from_secs(9));
    assert!(!d.called());
    clock.advance(Duration::from_secs(1));
    assert_eq!(d.take_result().unwrap().unwrap(), 10.0);
}

/// A waker that does nothing (`Waker::noop` needs a newer Rust than this crate's MSRV).
fn noop_waker() -> std::task::Waker {
    struct Noop;
    impl std::task::Wake for Noop {
        fn wake(self: std::sync::Arc<Self>) {}
    }
    std::task::Waker::from(std::sync::Arc::new(Noop))
}
