//! The rules of DeferredSemaphore.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use super::test_support::failure;
use super::*;
use crate::error::{CallbackPanicked, CancelledError};
use crate::testing::Clock;
use crate::Failure;

fn taken(sem: &DeferredSemaphore) -> SemaphoreGuard {
    sem.acquire()
        .take_result()
        .expect("a token is free")
        .unwrap()
}

#[test]
fn tokens_are_taken_at_once_up_to_the_limit() {
    let sem = DeferredSemaphore::new(2);
    assert_eq!((sem.tokens(), sem.limit()), (2, 2));
    let a = taken(&sem);
    let b = taken(&sem);
    assert_eq!(sem.tokens(), 0);
    let c = sem.acquire();
    assert!(!c.called());
    drop(a);
    assert!(c.called());
    assert_eq!(sem.tokens(), 0);
    drop((b, c));
    assert_eq!(sem.tokens(), 2);
}

#[test]
fn waiters_get_tokens_in_the_order_they_asked() {
    let sem = DeferredSemaphore::new(2);
    let held = [taken(&sem), taken(&sem)];
    let order = Rc::new(RefCell::new(Vec::new()));
    let guards = Rc::new(RefCell::new(Vec::new()));
    let _waiting: Vec<_> = (0..4)
        .map(|i| {
            let (order, guards) = (order.clone(), guards.clone());
            sem.acquire().add_callback(move |guard| {
                order.borrow_mut().push(i);
                guards.borrow_mut().push(guard);
                Ok(())
            })
        })
        .collect();
    assert_eq!(sem.waiters(), 4);
    let [a, b] = held;
    drop(a);
    assert_eq!(*order.borrow(), [0]);
    drop(b);
    assert_eq!(*order.borrow(), [0, 1]);
    let oldest = guards.borrow_mut().remove(0);
    drop(oldest);
    assert_eq!(*order.borrow(), [0, 1, 2]);
    let oldest = guards.borrow_mut().remove(0);
    drop(oldest);
    assert_eq!(*order.borrow(), [0, 1, 2, 3]);
    guards.borrow_mut().clear();
    assert_eq!(sem.tokens(), 2);
}

#[test]
fn cancelling_a_waiting_acquire_takes_it_out_of_the_line() {
    let sem = DeferredSemaphore::new(1);
    let held = taken(&sem);
    let waiting: Vec<_> = (0..3).map(|_| sem.acquire()).collect();
    waiting[0].cancel();
    assert_eq!(sem.waiters(), 2);
    assert!(waiting[0]
        .take_result()
        .unwrap()
        .unwrap_err()
        .check::<CancelledError>());
    drop(held);
    assert!(waiting[1].called() && !waiting[2].called());
    drop(waiting[1].take_result().unwrap().unwrap());
    drop(waiting[2].take_result().unwrap().unwrap());
    assert_eq!(sem.tokens(), 1);
}

#[test]
fn cancelling_an_acquire_that_has_its_token_does_nothing() {
    let sem = DeferredSemaphore::new(1);
    let acquired = sem.acquire();
    acquired.cancel();
    let guard = acquired.take_result().unwrap().unwrap();
    assert_eq!(sem.tokens(), 0);
    drop(guard);
    assert_eq!(sem.tokens(), 1);
}

#[test]
fn run_bounds_the_work_in_flight() {
    let clock = Clock::new();
    let sem = DeferredSemaphore::new(2);
    let (in_flight, most) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    let jobs: Vec<_> = (0..5)
        .map(|i| {
            let (c, in_flight, most) = (clock.clone(), in_flight.clone(), most.clone());
            sem.run(move || {
                in_flight.set(in_flight.get() + 1);
                most.set(most.get().max(in_flight.get()));
                defer_later(&c, Duration::from_secs(1), move || {
                    in_flight.set(in_flight.get() - 1);
                    Ok(i)
                })
            })
        })
        .collect();
    let all = gather_results(jobs, false);
    clock.pump(&[Duration::from_secs(1); 2]);
    assert!(!all.called());
    clock.advance(Duration::from_secs(1));
    assert_eq!(all.take_result().unwrap().unwrap(), [0, 1, 2, 3, 4]);
    assert_eq!(most.get(), 2);
    assert_eq!(sem.tokens(), 2);
}

#[test]
fn run_gives_the_token_back_on_failure_and_on_panic() {
    let sem = DeferredSemaphore::new(1);
    let failed = sem.run(|| Err::<u8, _>(failure("refused")));
    assert!(failed.take_result().unwrap().is_err());
    assert_eq!(sem.tokens(), 1);
    let panicked = sem.run(|| -> Result<u8, Failure> { panic!("in run") });
    assert!(panicked
        .take_result()
        .unwrap()
        .unwrap_err()
        .check::<CallbackPanicked>());
    assert_eq!(sem.tokens(), 1);
}

#[test]
fn a_forgotten_guard_keeps_its_token_until_release() {
    let sem = DeferredSemaphore::new(1);
    taken(&sem).forget();
    assert_eq!(sem.tokens(), 0);
    let next = sem.acquire();
    sem.release();
    assert!(next.called());
    drop(next);
    assert_eq!(sem.tokens(), 1);
}

#[test]
#[should_panic(expected = "needs at least one token")]
fn a_semaphore_of_no_tokens_panics() {
    DeferredSemaphore::new(0);
}

#[test]
#[should_panic(expected = "no token held through SemaphoreGuard::forget")]
fn releasing_more_than_was_forgotten_panics() {
    let sem = DeferredSemaphore::new(2);
    let _guard = taken(&sem);
    sem.release();
}
