//! End-to-end test of the `call_later` clock demo: it runs about five seconds.

mod examples_util;

use std::time::Duration;

use examples_util::Program;

#[test]
fn clock_demo_prints_four_times_and_stops() {
    let mut demo = Program::start("clock_demo", &[]);
    let (status, lines) = demo.wait_for_exit(Duration::from_secs(30));
    assert!(status.success(), "{status}\n{}", demo.report());
    assert_eq!(lines.len(), 7, "{lines:#?}");
    assert_eq!(lines[0], "Running the reactor...");
    for line in &lines[1..5] {
        let time = line
            .strip_prefix("Current time is ")
            .unwrap_or_else(|| panic!("{lines:#?}"));
        let shape: String = time
            .chars()
            .map(|c| if c.is_ascii_digit() { 'd' } else { c })
            .collect();
        assert_eq!(shape, "dd:dd:dd", "{lines:#?}");
    }
    assert_eq!(lines[5], "Stopping reactor");
    assert_eq!(lines[6], "Reactor stopped.");
}
