//! `torsion::cli::log` as the command uses it: installed as the global subscriber in a
//! process of its own, every thread's events reach the output, and stdout gets whole lines.
//!
//! The global subscriber can be installed once per process, so the test runs this test
//! binary again as a child (`CHILD_ENV` set) that installs it and logs; the parent reads
//! the child's standard output.
#![cfg(feature = "cli")]

use std::fs;
use std::process::Command;

use torsion::cli::log::{LogDestination, LogFormat, LogOutput};
use tracing::Level;

/// Set in the child process only.
const CHILD_ENV: &str = "TORSION_CLI_LOG_CHILD";

/// The child's part: install a stdout output and a second one, log from two threads.
/// Does nothing when run by the harness directly.
#[test]
fn child_logs_through_the_global_subscriber() {
    let Ok(format) = std::env::var(CHILD_ENV) else {
        return;
    };
    let output = LogOutput::open(
        LogDestination::Stdout,
        format.parse::<LogFormat>().unwrap(),
        "cli-log",
    )
    .unwrap();
    output.install(Level::INFO).unwrap();
    assert!(
        output.install(Level::INFO).is_err(),
        "a second install must fail"
    );
    tracing::info!(user = "a b", "from main");
    std::thread::spawn(|| tracing::warn!(n = 2, "from a thread"))
        .join()
        .unwrap();
    tracing::debug!("below the level");
}

fn run_child(format: &str) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_logs_through_the_global_subscriber",
            "--nocapture",
            // Quiet: the harness marks the test done after it ran, not with an open
            // `test … ` line the child's output would continue.
            "--quiet",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_installed_text_output_writes_every_threads_events_to_stdout() {
    let stdout = run_child("text");
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains("[cli-log#")).collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].ends_with(" [cli-log#info] from main user=\"a b\""),
        "{stdout}"
    );
    assert!(
        lines[1].ends_with(" [cli-log#warn] from a thread n=2"),
        "{stdout}"
    );
    // `2026-11-24T10:00:00+0000 ` : the local time with a numeric offset.
    let stamp = lines[0].split(' ').next().unwrap();
    assert!(
        chrono::DateTime::parse_from_str(stamp, "%Y-%m-%dT%H:%M:%S%z").is_ok(),
        "{stamp:?}"
    );
}

#[test]
fn the_installed_json_output_writes_objects_to_stdout() {
    let stdout = run_child("json");
    let objects: Vec<serde_json::Value> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 2, "{stdout}");
    assert_eq!(objects[0]["message"], "from main");
    assert_eq!(objects[0]["target"], "cli_log");
    assert_eq!(objects[1]["fields"]["n"], 2);
    assert_eq!(objects[1]["level"], "warn");
}

#[test]
fn a_log_file_in_a_missing_directory_fails_before_anything_runs() {
    let dir = std::env::temp_dir().join(format!("torsion-cli-log-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let err = LogOutput::open(
        LogDestination::File(dir.join("out.log")),
        LogFormat::Text,
        "x",
    )
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
}
