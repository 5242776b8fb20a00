//! The rules of maybe_deferred.

use std::cell::Cell;

use super::test_support::failure;
use super::*;
use crate::error::CallbackPanicked;
use crate::Failure;

#[test]
fn a_value_becomes_a_fired_deferred_at_once() {
    let calls = Cell::new(0);
    let d = maybe_deferred(|| {
        calls.set(calls.get() + 1);
        Ok(5)
    });
    assert_eq!(calls.get(), 1, "called inside maybe_deferred");
    assert_eq!(d.take_result().unwrap().unwrap(), 5);
    assert_eq!(
        maybe_deferred(|| Next::Value('v'))
            .take_result()
            .unwrap()
            .unwrap(),
        'v'
    );
}

#[test]
fn a_failure_becomes_a_failed_deferred() {
    let d = maybe_deferred(|| Err::<u8, _>(failure("no")));
    assert_eq!(
        d.take_result().unwrap().unwrap_err().get_error_message(),
        "no"
    );
    let d = maybe_deferred(|| Next::<u8>::Fail(failure("next")));
    assert_eq!(
        d.take_result().unwrap().unwrap_err().get_error_message(),
        "next"
    );
}

#[test]
fn a_returned_deferred_is_passed_through() {
    let later: Deferred<u8> = Deferred::new();
    let l = later.clone();
    let d = maybe_deferred(move || l);
    assert!(!d.called());
    later.callback(3).unwrap();
    assert_eq!(d.take_result().unwrap().unwrap(), 3);

    let later: Deferred<u8> = Deferred::new();
    let l = later.clone();
    let d = maybe_deferred(move || Next::Wait(l));
    later.errback(failure("later")).unwrap();
    assert_eq!(
        d.take_result().unwrap().unwrap_err().get_error_message(),
        "later"
    );
}

#[test]
fn a_panic_becomes_a_callback_panicked_failure() {
    let d = maybe_deferred(|| -> Result<u8, Failure> { panic!("exploded") });
    let failure = d.take_result().unwrap().unwrap_err();
    assert!(failure.check::<CallbackPanicked>());
    assert!(
        failure.get_error_message().contains("exploded"),
        "{failure}"
    );
}
