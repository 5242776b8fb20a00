//! The library behind the `torsion` command (Twisted's `twist` and `twistd`): plugins
//! compiled in, one application per run, in the foreground or as a daemon, with a pid
//! file, a log file and privileges dropped after binding. Needs the `cli` feature.
pub mod log;
