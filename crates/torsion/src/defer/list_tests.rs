//! The rules of DeferredList and gather_results.

use std::cell::Cell;
use std::fmt::Debug;
use std::rc::Rc;

use super::test_support::{failure, logged};
use super::*;
use crate::error::CancelledError;
use crate::Failure;

/// `ok VALUE` or `err MESSAGE` per result.
fn shown<T: Debug>(results: &[Result<T, Failure>]) -> Vec<String> {
    results
        .iter()
        .map(|r| match r {
            Ok(value) => format!("ok {value:?}"),
            Err(f) => format!("err {}", f.get_error_message()),
        })
        .collect()
}

fn first_error(outcome: Option<Result<impl Debug, Failure>>) -> FirstError {
    let failure = outcome.expect("fired").expect_err("failed");
    failure
        .downcast_ref::<FirstError>()
        .unwrap_or_else(|| panic!("not a FirstError: {failure}"))
        .clone()
}

/// A Deferred whose canceller sets `flag` (and gives no result).
fn cancel_probe<T: 'static>(flag: &Rc<Cell<bool>>) -> Deferred<T> {
    let flag = flag.clone();
    Deferred::with_canceller(move |_| flag.set(true))
}

fn news<T: 'static>(n: usize) -> Vec<Deferred<T>> {
    (0..n).map(|_| Deferred::new()).collect()
}

#[test]
fn results_come_in_input_order_once_every_input_has_fired() {
    let ds = news::<u32>(3);
    let list = DeferredList::new(ds.clone()).consume_errors(true).results();
    ds[2].callback(2).unwrap();
    ds[0].errback(failure("zero")).unwrap();
    assert!(!list.called());
    ds[1].callback(1).unwrap();
    let results = list.take_result().unwrap().unwrap();
    assert_eq!(shown(&results), ["err zero", "ok 1", "ok 2"]);
}

#[test]
fn inputs_fired_before_the_list_count_at_once() {
    let inputs = [Deferred::fail(failure("early")), Deferred::succeed(2u8)];
    let list = DeferredList::new(inputs).consume_errors(true).results();
    assert_eq!(
        shown(&list.take_result().unwrap().unwrap()),
        ["err early", "ok 2"]
    );

    let inputs = [Deferred::fail(failure("early")), Deferred::<u8>::new()];
    let list = DeferredList::new(inputs)
        .fire_on_one_errback(true)
        .consume_errors(true)
        .results();
    assert_eq!(first_error(list.take_result()).index(), 0);
}

#[test]
fn callbacks_added_to_an_input_before_the_list_decide_what_it_sees() {
    let d: Deferred<u32> = Deferred::new();
    let tens = d.clone().add_callback(|n| Ok(n * 10));
    let list = DeferredList::new([tens]).results();
    d.callback(4).unwrap();
    assert_eq!(shown(&list.take_result().unwrap().unwrap()), ["ok 40"]);
}

#[test]
fn an_empty_list_fires_at_once() {
    let list = DeferredList::<u8>::new([]).results();
    assert!(list.take_result().unwrap().unwrap().is_empty());

    let first = DeferredList::<u8>::new([]).first_success();
    let failure = first.take_result().unwrap().unwrap_err();
    assert!(failure
        .downcast_ref::<FailureGroup>()
        .unwrap()
        .failures()
        .is_empty());

    let gathered = gather_results(Vec::<Deferred<u8>>::new(), false);
    assert!(gathered.take_result().unwrap().unwrap().is_empty());
}

#[test]
fn without_fire_on_one_errback_a_failure_waits_for_the_rest() {
    let ds = news::<u8>(2);
    let list = DeferredList::new(ds.clone()).consume_errors(true).results();
    ds[1].errback(failure("one")).unwrap();
    assert!(!list.called());
    ds[0].callback(0).unwrap();
    assert_eq!(
        shown(&list.take_result().unwrap().unwrap()),
        ["ok 0", "err one"]
    );
}

#[test]
fn fire_on_one_errback_fails_at_the_first_failure_with_its_index() {
    let ds = news::<u8>(3);
    let list = DeferredList::new(ds.clone())
        .fire_on_one_errback(true)
        .consume_errors(true)
        .results();
    ds[0].callback(0).unwrap();
    assert!(!list.called());
    ds[2].errback(failure("two")).unwrap();
    assert!(list.called(), "fired without waiting for #1");
    // Later results are ignored.
    ds[1].errback(failure("one")).unwrap();
    let first = first_error(list.take_result());
    assert_eq!(first.index(), 2);
    assert_eq!(first.failure().get_error_message(), "two");
    assert!(
        first
            .to_string()
            .starts_with("Deferred #2 of the list failed first"),
        "{first}"
    );
}

#[test]
fn first_success_fires_with_the_first_value_and_its_index() {
    let ds = news::<u8>(3);
    let first = DeferredList::new(ds.clone())
        .consume_errors(true)
        .first_success();
    ds[0].errback(failure("zero")).unwrap();
    assert!(!first.called(), "a failure does not fire it");
    ds[2].callback(20).unwrap();
    ds[1].callback(10).unwrap();
    assert_eq!(first.take_result().unwrap().unwrap(), (20, 2));
}

#[test]
fn first_success_fails_with_every_failure_in_order_when_none_succeeds() {
    let ds = news::<u8>(2);
    let first = DeferredList::new(ds.clone())
        .consume_errors(true)
        .first_success();
    ds[1].errback(failure("one")).unwrap();
    assert!(!first.called());
    ds[0].errback(failure("zero")).unwrap();
    let failure = first.take_result().unwrap().unwrap_err();
    let group = failure.downcast_ref::<FailureGroup>().unwrap();
    let messages: Vec<_> = group
        .failures()
        .iter()
        .map(Failure::get_error_message)
        .collect();
    assert_eq!(messages, ["zero", "one"]);
}

#[test]
fn first_success_with_fire_on_one_errback_fails_at_a_failure_before_any_value() {
    let ds = news::<u8>(2);
    let first = DeferredList::new(ds.clone())
        .fire_on_one_errback(true)
        .consume_errors(true)
        .first_success();
    ds[1].errback(failure("one")).unwrap();
    ds[0].callback(0).unwrap();
    assert_eq!(first_error(first.take_result()).index(), 1);
}

#[test]
fn consume_errors_stops_the_unhandled_error_log_of_the_inputs() {
    let run = |consume: bool| {
        logged(|| {
            let d: Deferred<u8> = Deferred::new();
            let list = DeferredList::new([d.clone()])
                .consume_errors(consume)
                .results();
            d.errback(failure("lost")).unwrap();
            // The list sees the failure either way.
            assert_eq!(shown(&list.take_result().unwrap().unwrap()), ["err lost"]);
            drop(d);
        })
    };
    let kept = run(false);
    assert!(
        kept.contains("Unhandled error in Deferred") && kept.contains("lost"),
        "{kept}"
    );
    let consumed = run(true);
    assert!(!consumed.contains("Unhandled"), "{consumed}");
}

#[test]
fn successful_inputs_are_not_logged() {
    let out = logged(|| {
        let d: Deferred<u8> = Deferred::new();
        let list = DeferredList::new([d.clone()]).results();
        d.callback(1).unwrap();
        drop((d, list));
    });
    assert!(out.is_empty(), "{out}");
}

#[test]
fn the_list_callback_may_fire_another_input() {
    let ds = news::<u8>(2);
    let later = ds[1].clone();
    let first = DeferredList::new(ds.clone())
        .first_success()
        .add_callback(move |found| {
            later.callback(2).unwrap();
            Ok(found)
        });
    ds[0].callback(1).unwrap();
    assert_eq!(first.take_result().unwrap().unwrap(), (1, 0));
}

#[test]
fn cancelling_the_list_cancels_every_input() {
    let ds = news::<u8>(2);
    let list = DeferredList::new(ds.clone()).consume_errors(true).results();
    list.cancel();
    assert!(ds.iter().all(Deferred::called));
    let results = list.take_result().unwrap().unwrap();
    assert!(results
        .iter()
        .all(|r| r.as_ref().unwrap_err().check::<CancelledError>()));
}

#[test]
fn an_input_whose_canceller_gives_a_value_gives_it_to_the_list() {
    // The list holds its inputs weakly: these stand for whoever would fire them.
    let given =
        Deferred::with_canceller(|d: &Deferred<&str>| d.callback("from canceller").unwrap());
    let plain = Deferred::new();
    let list = DeferredList::new([given.clone(), plain.clone()])
        .consume_errors(true)
        .results();
    list.cancel();
    let results = list.take_result().unwrap().unwrap();
    assert_eq!(
        shown(&results),
        ["ok \"from canceller\"", "err The operation was cancelled."]
    );

    let given =
        Deferred::with_canceller(|d: &Deferred<&str>| d.callback("from canceller").unwrap());
    let plain = Deferred::new();
    let first = DeferredList::new([given.clone(), plain.clone()])
        .consume_errors(true)
        .first_success();
    first.cancel();
    assert_eq!(first.take_result().unwrap().unwrap(), ("from canceller", 0));
    assert!(plain.called(), "the others are cancelled too");
}

#[test]
fn cancel_with_fire_on_one_errback_cancels_all_and_fails_with_the_first() {
    let ds = news::<u8>(2);
    let list = DeferredList::new(ds.clone())
        .fire_on_one_errback(true)
        .consume_errors(true)
        .results();
    list.cancel();
    assert!(ds[1].called(), "cancelled after the list had fired");
    let first = first_error(list.take_result());
    assert_eq!(first.index(), 0);
    assert!(first.failure().check::<CancelledError>());
}

#[test]
fn cancelling_a_fired_list_cancels_nothing() {
    let probe = Rc::new(Cell::new(false));
    let (a, b) = (Deferred::new(), cancel_probe::<u8>(&probe));
    let first = DeferredList::new([a.clone(), b.clone()]).first_success();
    a.callback(1).unwrap();
    first.cancel();
    assert!(!probe.get() && !b.called());
    assert_eq!(first.take_result().unwrap().unwrap(), (1, 0));

    let (a, b) = (Deferred::new(), cancel_probe::<u8>(&probe));
    let list = DeferredList::new([a.clone(), b.clone()])
        .fire_on_one_errback(true)
        .consume_errors(true)
        .results();
    a.errback(failure("zero")).unwrap();
    list.cancel();
    assert!(!probe.get() && !b.called());
    assert_eq!(first_error(list.take_result()).index(), 0);
}

#[test]
fn a_cancel_that_leaves_the_list_without_a_result_fails_it() {
    let ds = news::<u8>(2);
    ds[1].pause();
    let list = DeferredList::new(ds.clone()).consume_errors(true).results();
    list.cancel();
    let failure = list.take_result().unwrap().unwrap_err();
    assert!(failure.check::<CancelledError>(), "{failure}");
    // The paused input's result comes later and is ignored.
    ds[1].unpause();
    assert!(
        list.take_result().is_none(),
        "taken already, not fired again"
    );
}

#[test]
fn gather_results_gives_the_values_in_order() {
    let ds = news::<u8>(3);
    let all = gather_results(ds.clone(), false);
    for i in [1, 2, 0] {
        assert!(!all.called());
        ds[i].callback(i as u8 * 10).unwrap();
    }
    assert_eq!(all.take_result().unwrap().unwrap(), [0, 10, 20]);
}

#[test]
fn gather_results_fails_at_the_first_failure() {
    let ds = news::<u8>(2);
    let all = gather_results(ds.clone(), true);
    ds[1].errback(failure("one")).unwrap();
    let first = first_error(all.take_result());
    assert_eq!(first.index(), 1);
    assert_eq!(first.failure().get_error_message(), "one");
    ds[0].callback(0).unwrap();
}

#[test]
fn gather_results_consume_errors_stops_the_unhandled_error_log() {
    let run = |consume: bool| {
        logged(|| {
            let bad = Deferred::<u8>::fail(failure("bad"));
            let all = gather_results([Deferred::succeed(1), bad], consume);
            assert_eq!(first_error(all.take_result()).index(), 1);
        })
    };
    assert!(run(false).contains("Unhandled error in Deferred"));
    let consumed = run(true);
    assert!(!consumed.contains("Unhandled"), "{consumed}");
}

#[test]
fn cancelling_gather_results_cancels_every_input() {
    let ds = news::<u8>(2);
    let all = gather_results(ds.clone(), true);
    all.cancel();
    assert!(ds.iter().all(Deferred::called));
    assert!(first_error(all.take_result())
        .failure()
        .check::<CancelledError>());

    let given = || Deferred::with_canceller(|d: &Deferred<&str>| d.callback("given").unwrap());
    let inputs = [given(), given()];
    let all = gather_results(inputs.clone(), false);
    all.cancel();
    assert_eq!(all.take_result().unwrap().unwrap(), ["given", "given"]);
    drop(inputs);
}
