//! The criterion settings every bench here shares: small, for a shared 2-core machine
//! (1 s of warm-up, 3 s of measurement, 20 samples, no plots).

use std::time::Duration;

use criterion::Criterion;

pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
        .without_plots()
}
