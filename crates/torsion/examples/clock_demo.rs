//! The `call_later` demo: the time is printed once a second, four times, then the
//! reactor is stopped by another scheduled call and the program ends.
//!
//! ```text
//! cargo run --example clock_demo
//! ```

use std::rc::Rc;
use std::time::Duration;

use torsion::{Reactor, ReactorTime};

#[path = "support/logging.rs"]
mod logging;

/// Where the demo's lines go: stdout in the program, a list in the tests.
type Say = Rc<dyn Fn(String)>;

/// The local time as `HH:MM:SS`.
fn now_hms() -> String {
    chrono::Local::now().format("%H:%M:%S").to_string()
}

/// Schedules the four time lines at 1, 2, 3 and 4 seconds and the stop at 5.
fn schedule_demo(clock: &impl ReactorTime, say: Say, stop: impl FnOnce() + 'static) {
    for secs in 1..=4 {
        let say = say.clone();
        clock.call_later(Duration::from_secs(secs), move || {
            say(format!("Current time is {}", now_hms()))
        });
    }
    clock.call_later(Duration::from_secs(5), move || {
        say("Stopping reactor".to_string());
        stop();
    });
}

fn main() -> torsion::Result<()> {
    logging::log_to_stderr(tracing::Level::INFO);
    let reactor = Reactor::new()?;
    let r = reactor.clone();
    schedule_demo(&reactor, Rc::new(|line| println!("{line}")), move || {
        r.stop()
    });
    println!("Running the reactor...");
    reactor.run()?;
    println!("Reactor stopped.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};
    use torsion::testing::Clock;

    #[test]
    fn prints_the_time_each_second_then_stops() {
        let clock = Clock::new();
        let lines = Rc::new(RefCell::new(Vec::new()));
        let stopped = Rc::new(Cell::new(false));
        let (l, s) = (lines.clone(), stopped.clone());
        schedule_demo(
            &clock,
            Rc::new(move |line| l.borrow_mut().push(line)),
            move || s.set(true),
        );
        clock.advance(Duration::from_millis(999));
        assert!(lines.borrow().is_empty());
        for n in 1..=4 {
            clock.advance(Duration::from_secs(1));
            assert_eq!(lines.borrow().len(), n);
        }
        assert!(!stopped.get());
        clock.advance(Duration::from_secs(1));
        assert!(stopped.get());
        let lines = lines.borrow();
        for line in &lines[..4] {
            let hms = line.strip_prefix("Current time is ").unwrap();
            assert_eq!(hms.len(), 8, "{line:?}");
            assert!(hms.chars().enumerate().all(|(i, c)| if i % 3 == 2 {
                c == ':'
            } else {
                c.is_ascii_digit()
            }));
        }
        assert_eq!(lines[4], "Stopping reactor");
        assert!(clock.get_delayed_calls().is_empty());
    }
}
