//! A pending call that holds a handle to its reactor does not keep the stopped reactor,
//! and its descriptors, alive. (Its own test binary: it counts the process's open
//! descriptors, which other tests running beside it would change.)

use std::time::Duration;

use torsion::{Reactor, ReactorTime};

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn reactors_stopped_with_calls_that_hold_them_leave_no_descriptor_open() {
    let run_one = || {
        let reactor = Reactor::new().unwrap();
        reactor.set_install_signal_handlers(false);
        let r = reactor.clone();
        // A guard that never fires: it holds the reactor, the reactor holds it.
        reactor.call_later(Duration::from_secs(3600), move || r.stop());
        let r = reactor.clone();
        reactor.call_later(Duration::ZERO, move || r.stop());
        reactor.run().unwrap();
    };
    run_one();
    let before = open_descriptors();
    for _ in 0..50 {
        run_one();
    }
    let after = open_descriptors();
    assert!(
        after <= before,
        "50 stopped reactors left {} descriptors open",
        after - before
    );
}
