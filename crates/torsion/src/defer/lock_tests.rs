//! The rules of DeferredLock.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use super::test_support::failure;
use super::*;
use crate::error::{CallbackPanicked, CancelledError};
use crate::testing::Clock;
use crate::Failure;

fn held(lock: &DeferredLock) -> LockGuard {
    lock.acquire().take_result().expect("free").unwrap()
}

#[test]
fn a_free_lock_is_taken_at_once_and_the_guard_releases_it() {
    let lock = DeferredLock::new();
    assert!(!lock.locked());
    let guard = held(&lock);
    assert!(lock.locked());
    guard.release();
    assert!(!lock.locked());
    drop(held(&lock));
    assert!(!lock.locked());
}

#[test]
fn waiters_get_the_lock_in_the_order_they_asked() {
    let lock = DeferredLock::new();
    let first = held(&lock);
    let waiting: Vec<_> = (0..3).map(|_| lock.acquire()).collect();
    assert_eq!(lock.waiters(), 3);
    let called = || waiting.iter().map(Deferred::called).collect::<Vec<_>>();
    assert_eq!(called(), [false, false, false]);
    drop(first);
    assert_eq!(called(), [true, false, false]);
    assert!(lock.locked(), "handed straight on");
    for (i, acquire) in waiting.iter().enumerate() {
        let guard = acquire.take_result().unwrap().unwrap();
        drop(guard);
        assert_eq!(called().iter().filter(|c| **c).count(), (i + 2).min(3));
    }
    assert!(!lock.locked());
    assert_eq!(lock.waiters(), 0);
}

#[test]
fn waiters_that_release_at_once_all_run_in_order_in_one_release() {
    let lock = DeferredLock::new();
    let first = held(&lock);
    let order = Rc::new(RefCell::new(Vec::new()));
    let ds: Vec<_> = (0..4)
        .map(|i| {
            let order = order.clone();
            lock.acquire().add_callback(move |guard| {
                order.borrow_mut().push(i);
                drop(guard);
                Ok(())
            })
        })
        .collect();
    drop(first);
    assert_eq!(*order.borrow(), [0, 1, 2, 3]);
    assert!(ds.iter().all(Deferred::called));
    assert!(!lock.locked());
}

#[test]
fn a_long_line_is_handed_on_without_recursion() {
    let lock = DeferredLock::new();
    let first = held(&lock);
    let runs: Vec<_> = (0..100_000).map(|i| lock.run(move || Ok(i))).collect();
    drop(first);
    assert_eq!(runs[99_999].take_result().unwrap().unwrap(), 99_999);
    assert!(!lock.locked());
}

#[test]
fn cancelling_a_waiting_acquire_takes_it_out_of_the_line() {
    let lock = DeferredLock::new();
    let first = held(&lock);
    let waiting: Vec<_> = (0..3).map(|_| lock.acquire()).collect();
    waiting[1].cancel();
    assert_eq!(lock.waiters(), 2);
    let cancelled = waiting[1].take_result().unwrap().unwrap_err();
    assert!(cancelled.check::<CancelledError>());
    drop(first);
    drop(waiting[0].take_result().unwrap().unwrap());
    assert!(waiting[2].called(), "the cancelled one was skipped");
    drop(waiting[2].take_result().unwrap().unwrap());
    assert!(!lock.locked());
}

#[test]
fn cancelling_an_acquire_that_has_the_lock_does_nothing() {
    let lock = DeferredLock::new();
    let acquired = lock.acquire();
    acquired.cancel();
    assert!(acquired.take_result().unwrap().is_ok());
    assert!(!lock.locked(), "the guard was taken and dropped");
}

#[test]
fn a_dropped_waiting_acquire_keeps_its_turn_and_gives_the_lock_back() {
    let lock = DeferredLock::new();
    let first = held(&lock);
    drop(lock.acquire());
    let last = lock.acquire();
    assert_eq!(lock.waiters(), 2);
    drop(first);
    assert!(last.called());
    drop(last);
    assert!(!lock.locked());
}

#[test]
fn run_holds_the_lock_until_the_returned_deferred_fires() {
    let clock = Clock::new();
    let lock = DeferredLock::new();
    let c = clock.clone();
    let slow = lock.run(move || defer_later(&c, Duration::from_secs(1), || Ok("slow")));
    let next = lock.run(|| Ok("next"));
    assert!(lock.locked() && !next.called());
    clock.advance(Duration::from_secs(1));
    assert_eq!(slow.take_result().unwrap().unwrap(), "slow");
    assert_eq!(next.take_result().unwrap().unwrap(), "next");
    assert!(!lock.locked());
}

#[test]
fn run_releases_on_failure_and_on_panic() {
    let lock = DeferredLock::new();
    let failed = lock.run(|| Err::<u8, _>(failure("bad")));
    assert_eq!(
        failed
            .take_result()
            .unwrap()
            .unwrap_err()
            .get_error_message(),
        "bad"
    );
    assert!(!lock.locked());

    let first = held(&lock);
    let panicked = lock.run(|| -> Result<u8, Failure> { panic!("in run") });
    let after = lock.run(|| Ok(1));
    drop(first);
    let failure = panicked.take_result().unwrap().unwrap_err();
    assert!(failure.check::<CallbackPanicked>(), "{failure}");
    assert_eq!(after.take_result().unwrap().unwrap(), 1);
    assert!(!lock.locked());
}

#[test]
fn cancelling_a_waiting_run_never_runs_it() {
    let lock = DeferredLock::new();
    let first = held(&lock);
    let ran = Rc::new(RefCell::new(false));
    let r = ran.clone();
    let d = lock.run(move || {
        *r.borrow_mut() = true;
        Ok(())
    });
    d.cancel();
    drop(first);
    assert!(!*ran.borrow());
    assert!(d
        .take_result()
        .unwrap()
        .unwrap_err()
        .check::<CancelledError>());
    assert!(!lock.locked());
}

#[test]
fn a_forgotten_guard_keeps_the_lock_until_release() {
    let lock = DeferredLock::new();
    held(&lock).forget();
    assert!(lock.locked());
    let next = lock.acquire();
    lock.release();
    assert!(next.called() && lock.locked());
    drop(next);
    assert!(!lock.locked());
}

#[test]
#[should_panic(expected = "not held through LockGuard::forget")]
fn releasing_a_free_lock_panics() {
    DeferredLock::new().release();
}

#[test]
#[should_panic(expected = "not held through LockGuard::forget")]
fn releasing_a_lock_a_guard_holds_panics() {
    let lock = DeferredLock::new();
    let _guard = held(&lock);
    lock.release();
}
