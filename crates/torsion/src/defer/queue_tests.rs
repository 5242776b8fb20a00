//! The rules of DeferredQueue.

use std::cell::RefCell;
use std::rc::Rc;

use super::*;
use crate::error::CancelledError;

#[test]
fn values_come_out_in_the_order_they_were_put() {
    let queue = DeferredQueue::new();
    for v in ["a", "b", "c"] {
        queue.put(v).unwrap();
    }
    assert_eq!(queue.len(), 3);
    let got: Vec<_> = (0..3)
        .map(|_| queue.get().take_result().unwrap().unwrap())
        .collect();
    assert_eq!(got, ["a", "b", "c"]);
    assert!(queue.is_empty());
}

#[test]
fn waiting_gets_are_served_in_the_order_they_were_made() {
    let queue = DeferredQueue::new();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let gets: Vec<_> = (0..3)
        .map(|i| {
            let seen = seen.clone();
            queue.get().add_callback(move |v: u8| {
                seen.borrow_mut().push((i, v));
                Ok(())
            })
        })
        .collect();
    assert_eq!(queue.waiters(), 3);
    queue.put(10).unwrap();
    assert_eq!(*seen.borrow(), [(0, 10)], "served inside put");
    queue.put(11).unwrap();
    queue.put(12).unwrap();
    assert_eq!(*seen.borrow(), [(0, 10), (1, 11), (2, 12)]);
    assert!(gets.iter().all(Deferred::called));
    assert!(queue.is_empty() && queue.waiters() == 0);
}

#[test]
fn put_past_the_size_overflows() {
    let queue = DeferredQueue::with_limits(Some(2), None);
    queue.put(1).unwrap();
    queue.put(2).unwrap();
    assert!(queue.put(3).unwrap_err().check::<QueueOverflow>());
    assert_eq!(queue.len(), 2);
    assert_eq!(queue.get().take_result().unwrap().unwrap(), 1);
    queue.put(3).unwrap();

    let none = DeferredQueue::with_limits(Some(0), None);
    assert!(none.put(1).unwrap_err().check::<QueueOverflow>());
    let waiting = none.get();
    none.put(1).unwrap();
    assert_eq!(
        waiting.take_result().unwrap().unwrap(),
        1,
        "a waiting get needs no room"
    );
}

#[test]
fn get_past_the_backlog_underflows() {
    let queue = DeferredQueue::<u8>::with_limits(None, Some(2));
    let (a, b) = (queue.get(), queue.get());
    let c = queue.get();
    assert!(c
        .take_result()
        .unwrap()
        .unwrap_err()
        .check::<QueueUnderflow>());
    assert_eq!(queue.waiters(), 2);
    queue.put(1).unwrap();
    queue.put(2).unwrap();
    assert_eq!(a.take_result().unwrap().unwrap(), 1);
    assert_eq!(b.take_result().unwrap().unwrap(), 2);

    let none = DeferredQueue::<u8>::with_limits(None, Some(0));
    assert!(none
        .get()
        .take_result()
        .unwrap()
        .unwrap_err()
        .check::<QueueUnderflow>());
    none.put(1).unwrap();
    assert_eq!(
        none.get().take_result().unwrap().unwrap(),
        1,
        "a held value needs no backlog"
    );
}

#[test]
fn cancelling_a_waiting_get_takes_it_out_of_the_line() {
    let queue = DeferredQueue::new();
    let gets: Vec<_> = (0..3).map(|_| queue.get()).collect();
    gets[0].cancel();
    assert_eq!(queue.waiters(), 2);
    assert!(gets[0]
        .take_result()
        .unwrap()
        .unwrap_err()
        .check::<CancelledError>());
    queue.put("x").unwrap();
    assert_eq!(gets[1].take_result().unwrap().unwrap(), "x");
    gets[2].cancel();
    queue.put("y").unwrap();
    assert_eq!(queue.len(), 1, "kept: nobody waits");
}

#[test]
fn a_cancelled_get_is_not_fired_by_a_later_put() {
    // Twisted's test_cancelQueueAfterGet: the queue is usable from the errback.
    let queue = DeferredQueue::new();
    let get = queue.get();
    get.cancel();
    let q = queue.clone();
    let next = get
        .add_errback(move |f| {
            assert!(f.check::<CancelledError>());
            q.put(5).unwrap();
            q.get()
        })
        .take_result();
    assert_eq!(next.unwrap().unwrap(), 5);
}

#[test]
fn cancelling_a_get_that_has_its_value_does_nothing() {
    let queue = DeferredQueue::new();
    let get = queue.get();
    queue.put(1).unwrap();
    get.cancel();
    assert_eq!(get.take_result().unwrap().unwrap(), 1);
}
