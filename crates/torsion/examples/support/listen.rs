//! Where a server listens: `--interface` with the server's own `--port`, or the whole
//! endpoint as `--listen DESCRIPTION` (`tcp:8000:interface=127.0.0.1`, `unix:/tmp/s.sock`,
//! Twisted's strports).

use std::io::Write;
use std::process::ExitCode;

use torsion::endpoints::ServerPort;
use torsion::endpoints::{server_from_string, TcpServerEndpoint};
use torsion::{Factory, Failure, Reactor};

/// The listening options every server shares (its `--port` is its own: the defaults
/// differ).
#[derive(clap::Args)]
pub struct ListenArgs {
    /// Interface to listen on ("" for every IPv4 interface).
    #[arg(long, default_value = "")]
    pub interface: String,
    /// Where to listen, as an endpoint description such as `tcp:8000:interface=127.0.0.1`
    /// (instead of --port and --interface).
    #[arg(long, value_name = "DESCRIPTION", conflicts_with_all = ["port", "interface"])]
    pub listen: Option<String>,
}

impl ListenArgs {
    /// Listens with `factory` on the `--listen` endpoint, or else on `port` of
    /// `--interface`, and prints `listening on HOST:PORT`. When it cannot (a bad
    /// description, whose message names the bad part; a port already taken), it prints
    /// `PROGRAM: MESSAGE` on stderr and gives `None`.
    pub fn listen(
        &self,
        program: &str,
        reactor: &Reactor,
        port: u16,
        factory: impl Factory,
    ) -> Option<ServerPort> {
        match self.try_listen(reactor, port, factory) {
            Ok(listening) => Some(listening),
            Err(failure) => {
                eprintln!("{program}: {}", failure.get_error_message());
                None
            }
        }
    }

    /// Listens as [`listen`](ListenArgs::listen) does, then runs `reactor` until it
    /// stops: the rest of a server example's `main`. Exits 1 when it could not listen.
    ///
    /// # Errors
    ///
    /// The reactor's, if its loop fails.
    pub fn serve(
        &self,
        program: &str,
        reactor: &Reactor,
        port: u16,
        factory: impl Factory,
    ) -> torsion::Result<ExitCode> {
        if self.listen(program, reactor, port, factory).is_none() {
            return Ok(ExitCode::FAILURE);
        }
        reactor.run()?;
        Ok(ExitCode::SUCCESS)
    }

    fn try_listen(
        &self,
        reactor: &Reactor,
        port: u16,
        factory: impl Factory,
    ) -> Result<ServerPort, Failure> {
        let endpoint = match &self.listen {
            Some(description) => server_from_string(reactor, description)?,
            None => TcpServerEndpoint::new(reactor, port)
                .interface(&self.interface)
                .into(),
        };
        let listening = endpoint
            .listen(factory)
            .take_result()
            .expect("TCP and UNIX endpoints listen inside the call")?;
        println!("listening on {}", listening.get_host());
        std::io::stdout().flush()?;
        Ok(listening)
    }
}
