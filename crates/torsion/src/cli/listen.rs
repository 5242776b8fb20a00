//! [`ListenOptions`]: the `--port` and `--listen` options every server plugin takes, and the factory
//! wrapper that logs each connection.

use crate::{Address, Factory};

/// Where a server plugin listens: `--port PORT` and `--listen DESCRIPTION`, repeated for
/// several ports (Twisted's `twist` plugins take the same options). A plugin takes it as
/// its options, or flattens it into its own with `#[command(flatten)]`, and hands it to
/// [`PluginContext::listen_all`](super::PluginContext::listen_all) with its default port.
///
/// # Examples
///
/// ```
/// use torsion::cli::ListenOptions;
///
/// let none = ListenOptions::default();
/// assert_eq!(none.descriptions(2323), ["tcp:2323"]);
/// let two = ListenOptions { port: None, listen: vec!["tcp:0".into(), "unix:/tmp/r.sock".into()] };
/// assert_eq!(two.descriptions(2323), ["tcp:0", "unix:/tmp/r.sock"]);
/// let three = ListenOptions { port: Some(9000), ..two };
/// assert_eq!(three.descriptions(2323), ["tcp:9000", "tcp:0", "unix:/tmp/r.sock"]);
/// ```
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ListenOptions {
    /// TCP port to listen on, on every interface (0 picks a free one); without it and
    /// without --listen, the plugin's own port.
    #[arg(long)]
    pub port: Option<u16>,
    /// Where to listen, as an endpoint description (tcp:8000:interface=127.0.0.1,
    /// unix:/tmp/app.sock, ssl:8443:privateKey=key.pem:certKey=cert.pem); may be repeated.
    #[arg(long, value_name = "DESCRIPTION")]
    pub listen: Vec<String>,
}

impl ListenOptions {
    /// The descriptions to listen on: `tcp:PORT` for `--port` when it was given, or for
    /// `default_port` when there is no `--listen` either; then every `--listen`.
    pub fn descriptions(&self, default_port: u16) -> Vec<String> {
        let port = match self.port {
            Some(port) => Some(port),
            None if self.listen.is_empty() => Some(default_port),
            None => None,
        };
        port.map(|port| format!("tcp:{port}"))
            .into_iter()
            .chain(self.listen.iter().cloned())
            .collect()
    }
}

/// A factory that logs every connection it is asked for, then builds as `F` does.
#[derive(Clone)]
pub(super) struct LoggedFactory<F> {
    factory: F,
}

impl<F> LoggedFactory<F> {
    pub(super) fn new(factory: F) -> LoggedFactory<F> {
        LoggedFactory { factory }
    }
}

impl<F: Factory> Factory for LoggedFactory<F> {
    type Protocol = F::Protocol;

    fn build_protocol(&mut self, addr: Address) -> Option<F::Protocol> {
        tracing::info!("connection from {addr}");
        self.factory.build_protocol(addr)
    }

    fn do_start(&mut self) {
        self.factory.do_start();
    }

    fn do_stop(&mut self) {
        self.factory.do_stop();
    }
}
