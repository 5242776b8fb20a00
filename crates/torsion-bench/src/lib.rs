//! torsion's benchmarks live in `benches/`; this library is empty (Cargo needs a library
//! or binary target in every package).
//!
//! ```text
//! cargo bench -p torsion-bench --bench timers
//! ```
