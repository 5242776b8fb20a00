//! `get_process_output`, `get_process_value` and `get_process_output_and_value` over real
//! children, as Twisted's `twisted.internet.utils`.

mod process_util;

use process_util::util::{reactor, run};
use torsion::defer::Deferred;
use torsion::error::{ProcessKilledWithOutput, ProcessSpawnFailed, ProcessWroteToStderr};
use torsion::process::{get_process_output, get_process_output_and_value, get_process_value};
use torsion::{Failure, Reactor};

fn wait<T: 'static>(reactor: &Reactor, d: &Deferred<T>) -> Result<T, Failure> {
    if !d.called() {
        let r = reactor.clone();
        d.clone().add_both(move |result| {
            r.stop();
            result
        });
        run(reactor);
    }
    d.take_result().expect("the Deferred fired")
}

#[test]
fn output_is_stdout_and_stderr_fails_it_unless_errortoo() {
    let reactor = reactor();
    let out = get_process_output(
        &reactor,
        "sh",
        &["sh", "-c", "echo a; exit 3"],
        None,
        None,
        false,
    );
    assert_eq!(
        wait(&reactor, &out).unwrap(),
        b"a\n",
        "the exit code does not matter"
    );
    let err = get_process_output(
        &reactor,
        "sh",
        &["sh", "-c", "echo a; echo b >&2"],
        None,
        None,
        false,
    );
    let failure = wait(&reactor, &err).unwrap_err();
    assert_eq!(
        failure
            .downcast_ref::<ProcessWroteToStderr>()
            .unwrap()
            .stderr,
        b"b\n"
    );
    let both = get_process_output(
        &reactor,
        "sh",
        &["sh", "-c", "echo a; echo b >&2"],
        None,
        None,
        true,
    );
    let mut got = wait(&reactor, &both).unwrap();
    got.sort_unstable();
    assert_eq!(got, b"\n\nab");
}

#[test]
fn value_is_the_exit_code_and_a_signal_fails_it() {
    let reactor = reactor();
    let code = get_process_value(&reactor, "sh", &["sh", "-c", "exit 42"], None, None);
    assert_eq!(wait(&reactor, &code).unwrap(), 42);
    let killed = get_process_value(&reactor, "sh", &["sh", "-c", "kill -9 $$"], None, None);
    assert!(wait(&reactor, &killed).is_err());
}

#[test]
fn output_and_value_together_and_the_signal_case_keeps_the_output() {
    let reactor = reactor();
    let all = get_process_output_and_value(
        &reactor,
        "sh",
        &["sh", "-c", "echo o; echo e >&2; exit 5"],
        Some(vec![("PATH".into(), "/usr/bin:/bin".into())]),
        Some(std::path::Path::new("/")),
    );
    assert_eq!(
        wait(&reactor, &all).unwrap(),
        (b"o\n".to_vec(), b"e\n".to_vec(), 5)
    );
    let killed = get_process_output_and_value(
        &reactor,
        "sh",
        &["sh", "-c", "echo o; kill -TERM $$"],
        None,
        None,
    );
    let failure = wait(&reactor, &killed).unwrap_err();
    let kept = failure.downcast_ref::<ProcessKilledWithOutput>().unwrap();
    assert_eq!((kept.stdout.as_slice(), kept.signal), (&b"o\n"[..], 15));
}

#[test]
fn a_child_that_cannot_start_fails_the_deferred_at_once() {
    let reactor = reactor();
    let d = get_process_output(&reactor, "/no/such/thing", &["x"], None, None, false);
    assert!(d.called());
    assert!(wait(&reactor, &d)
        .unwrap_err()
        .check::<ProcessSpawnFailed>());
}
