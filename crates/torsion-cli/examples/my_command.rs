//! A command of one's own, built on `torsion::cli` (how a user ships a `torsion`-style
//! binary with their plugins): here the seeds' reversing server as a service, under the
//! name `shout-back`, beside the built-in plugins.
//!
//! ```text
//! cargo run -p torsion-cli --example my_command -- --help
//! cargo run -p torsion-cli --example my_command -- shout-back --port 2323 --upper
//! cargo run -p torsion-cli --example my_command -- -d --pidfile rev.pid --logfile rev.log shout-back
//! ```
//!
//! All it takes: an options struct (clap), a protocol, and a [`Plugin`] handed to
//! [`torsion::cli::main`] with the others. The command gets `--daemon`, `--pidfile`,
//! `--logfile`, `--uid`, the drain on SIGTERM and the rest from the library.

use std::process::ExitCode;

use torsion::cli::{builtin_plugins, ListenOptions, Plugin};
use torsion::protocols::basic::{LineCx, LineProtocol, LineReceiver};

/// Options of `my_command shout-back`.
#[derive(clap::Args)]
struct Options {
    #[command(flatten)]
    listen: ListenOptions,
    /// Send the reversed lines in capitals.
    #[arg(long)]
    upper: bool,
}

/// Sends each line back reversed (in capitals with `--upper`); `quit` closes.
#[derive(Clone, Copy)]
struct ShoutBack {
    upper: bool,
}

impl LineReceiver for ShoutBack {
    fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        if text == "quit" {
            return cx.transport().lose_connection();
        }
        let reversed: String = text.chars().rev().collect();
        let reply = if self.upper {
            reversed.to_uppercase()
        } else {
            reversed
        };
        cx.send_line(reply.as_bytes());
    }
}

fn main() -> ExitCode {
    let shout_back = Plugin::new(
        "shout-back",
        "Sends each line back reversed, in capitals with --upper; port 2323 by default.",
        |options: Options, cx| {
            let protocol = ShoutBack {
                upper: options.upper,
            };
            cx.listen_all(&options.listen, 2323, move |_peer| {
                Some(LineProtocol::new(protocol))
            })
        },
    );
    let mut plugins = builtin_plugins();
    plugins.push(shout_back);
    torsion::cli::main(plugins)
}
