//! `echo`: sends back what it receives (RFC 862). Port 8000 by default.

use crate::cli::{ListenOptions, Plugin};
use crate::protocols::wire::Echo;

pub(super) fn plugin() -> Plugin {
    Plugin::new(
        "echo",
        "Sends back what each client sends (RFC 862); port 8000 by default.",
        |options: ListenOptions, cx| cx.listen_all(&options, 8000, |_peer| Some(Echo)),
    )
}
