//! `echo`: sends back what it receives (RFC 862). Port 8000 by default.

use crate::cli::{ListenOptions, Plugin};
use crate::protocols::wire::Echo;

/// Options of `torsion echo`.
#[derive(clap::Args, Debug)]
struct Options {
    /// TCP port to listen on [default: 8000].
    #[arg(long)]
    port: Option<u16>,
    #[command(flatten)]
    listen: ListenOptions,
}

pub(super) fn plugin() -> Plugin {
    Plugin::new(
        "echo",
        "Sends back what each client sends (RFC 862).",
        |options: Options, cx| {
            cx.listen_all(&options.listen, options.port, 8000, |_peer| Some(Echo))
        },
    )
}
