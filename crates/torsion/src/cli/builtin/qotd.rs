//! `qotd`: a quote of the day to each client, then the connection closes (RFC 865).
//! Port 8017 by default.

use std::rc::Rc;

use crate::cli::{ListenOptions, Plugin};
use crate::protocols::wire::Qotd;

/// The quote served when none is given.
const DEFAULT_QUOTE: &str = "A quiet loop serves many voices.";

/// Options of `torsion qotd`.
#[derive(clap::Args, Debug)]
struct Options {
    #[command(flatten)]
    listen: ListenOptions,
    /// The quote to serve.
    #[arg(long, default_value = DEFAULT_QUOTE)]
    quote: String,
}

pub(super) fn plugin() -> Plugin {
    Plugin::new(
        "qotd",
        "Sends each client a quote, then closes (RFC 865); port 8017 by default.",
        |options: Options, cx| {
            let quote: Rc<str> = options.quote.into();
            cx.listen_all(&options.listen, 8017, move |_peer| {
                Some(Qotd::new(quote.clone()))
            })
        },
    )
}
