//! `torsion`: runs one of torsion's built-in server plugins in the foreground, or as a
//! daemon with `-d` (Twisted's `twist` and `twistd`). `torsion --help` lists the plugins,
//! `torsion PLUGIN --help` their options. The work is in the library's `torsion::cli`.
//!
//! ```text
//! torsion chat --port 8006
//! torsion -d --pidfile rev.pid --logfile rev.log reverse --port 2323
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    torsion::cli::main(torsion::cli::builtin_plugins())
}
