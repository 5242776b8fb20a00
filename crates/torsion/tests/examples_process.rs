//! End-to-end test of `process_demo`: it runs a command, streams its stdout and stderr,
//! says how it ended and exits with its code.

mod examples_util;

use std::time::Duration;

use examples_util::Program;

const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn streams_both_outputs_and_exits_with_the_child_s_code() {
    let mut demo = Program::start(
        "process_demo",
        &[
            "--",
            "sh",
            "-c",
            "echo one; echo oops >&2; echo two; exit 3",
        ],
    );
    let (status, lines) = demo.wait_for_exit(LIMIT);
    assert_eq!(status.code(), Some(3), "{}", demo.report());
    assert_eq!(lines, ["one", "two"]);
    let err = demo.stderr_lines();
    assert!(err.contains(&"oops".to_string()), "{err:?}");
    assert_eq!(
        err.last().map(String::as_str),
        Some("process_demo: exited with code 3")
    );
}

#[test]
fn a_command_killed_by_its_timeout_is_reported_by_signal() {
    let mut demo = Program::start("process_demo", &["--timeout", "0.2", "--", "sleep", "30"]);
    let (status, _) = demo.wait_for_exit(LIMIT);
    assert_eq!(status.code(), Some(128 + 9), "{}", demo.report());
    let err = demo.stderr_lines();
    assert_eq!(
        err.last().map(String::as_str),
        Some("process_demo: killed by signal SIGKILL"),
        "{err:?}"
    );
}

#[test]
fn a_command_that_cannot_start_is_a_clear_failure() {
    let mut demo = Program::start("process_demo", &["--", "/no/such/command"]);
    let (status, lines) = demo.wait_for_exit(LIMIT);
    assert_eq!(status.code(), Some(127));
    assert!(lines.is_empty());
    let err = demo.stderr_lines().join("\n");
    assert!(err.contains("Couldn't start /no/such/command"), "{err}");
}

#[test]
fn a_command_on_a_pty_sees_a_terminal() {
    let mut demo = Program::start(
        "process_demo",
        &["--pty", "--", "sh", "-c", "test -t 1 && echo on-a-tty"],
    );
    let (status, lines) = demo.wait_for_exit(LIMIT);
    assert!(status.success(), "{}", demo.report());
    assert_eq!(lines, ["on-a-tty"]);
}
