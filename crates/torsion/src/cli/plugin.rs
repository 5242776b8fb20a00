//! [`Plugin`]: a kind of server the command can run, compiled in; [`PluginContext`]:
//! what a plugin builds its services with.

use std::fmt;
use std::io;

use clap::{ArgMatches, Args, Command, FromArgMatches};

use super::listen::LoggedFactory;
use crate::application::{server_service, Application, Service, StreamServerEndpointService};
use crate::{Factory, Failure, Reactor};

type Make = Box<dyn Fn(&ArgMatches, &mut PluginContext) -> Result<(), Failure>>;

/// A plugin of the command (Twisted's `IServiceMaker`): a name, a line of help, its
/// options (a clap [`Args`] type) and the function that turns them into services.
/// Plugins are values made at compile time and handed to [`main`](super::main): there is
/// no plugin cache and nothing is found at run time.
///
/// # Examples
///
/// ```
/// use torsion::cli::{ListenOptions, Plugin};
/// use torsion::protocols::wire::Echo;
///
/// let echo = Plugin::new(
///     "echo",
///     "Sends back what it receives (port 8000 by default).",
///     |options: ListenOptions, cx| cx.listen_all(&options, 8000, |_peer| Some(Echo)),
/// );
/// assert_eq!(echo.name(), "echo");
/// // torsion::cli::main(vec![echo]) would run it.
/// ```
pub struct Plugin {
    name: &'static str,
    about: &'static str,
    args: fn(Command) -> Command,
    make: Make,
}

impl Plugin {
    /// A plugin called `name` (its subcommand), described by `about` in the command's
    /// help, whose options are `O` and whose services `make` builds. `make` runs once,
    /// before the reactor runs: it adds services to the context's application (the
    /// ports are bound right after it returns). An error from it stops the command with
    /// the message and exit status 1.
    pub fn new<O>(
        name: &'static str,
        about: &'static str,
        make: impl Fn(O, &mut PluginContext) -> Result<(), Failure> + 'static,
    ) -> Plugin
    where
        O: Args + FromArgMatches + 'static,
    {
        Plugin {
            name,
            about,
            args: O::augment_args,
            make: Box::new(move |matches, cx| {
                let options = O::from_arg_matches(matches).map_err(|err| {
                    Failure::new(io::Error::new(io::ErrorKind::InvalidInput, err.to_string()))
                })?;
                make(options, cx)
            }),
        }
    }

    /// The plugin's name: the subcommand that runs it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its line of help.
    pub fn about(&self) -> &'static str {
        self.about
    }

    /// The subcommand, with the plugin's options.
    pub(super) fn command(&self) -> Command {
        (self.args)(Command::new(self.name))
            .about(self.about)
            .long_about(None)
    }

    /// Builds the plugin's services from its parsed options.
    pub(super) fn make(&self, matches: &ArgMatches, cx: &mut PluginContext) -> Result<(), Failure> {
        (self.make)(matches, cx)
    }
}

impl fmt::Debug for Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name)
            .field("about", &self.about)
            .finish_non_exhaustive()
    }
}

/// What a plugin builds with: the reactor, the application its services go into, and
/// [`listen`](PluginContext::listen) for server ports that the command reports.
#[derive(Debug)]
pub struct PluginContext {
    reactor: Reactor,
    application: Application,
    servers: Vec<(String, StreamServerEndpointService)>,
}

impl PluginContext {
    pub(super) fn new(reactor: &Reactor, name: &str) -> PluginContext {
        PluginContext {
            reactor: reactor.clone(),
            application: Application::new(name),
            servers: Vec::new(),
        }
    }

    /// The reactor the services will run on (not running yet).
    pub fn reactor(&self) -> &Reactor {
        &self.reactor
    }

    /// The application the command runs: add services of any kind to it.
    pub fn application(&self) -> &Application {
        &self.application
    }

    /// Adds a server service listening on the endpoint `description` names
    /// (`tcp:2323`, `unix:/run/app.sock`, `ssl:443:privateKey=key.pem`), serving with
    /// `factory`. Each accepted connection is logged with its peer. The command reports
    /// `listening on HOST:PORT` for it once it is bound, and fails if it cannot be.
    ///
    /// # Errors
    ///
    /// The description's error (naming the bad part), or a duplicate description.
    pub fn listen<F: Factory>(&mut self, description: &str, factory: F) -> Result<(), Failure> {
        let service = server_service(&self.reactor, description, LoggedFactory::new(factory))?;
        self.application
            .add_service(service.clone().named(description))
            .map_err(|duplicate| {
                Failure::new(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    duplicate.to_string(),
                ))
            })?;
        self.servers.push((description.to_owned(), service));
        Ok(())
    }

    /// Listens on every description of `options` (see [`ListenOptions`]; `default_port`
    /// when it names none) with a clone of `factory` each: the server plugins' usual body.
    ///
    /// # Errors
    ///
    /// As [`listen`](PluginContext::listen).
    ///
    /// [`ListenOptions`]: super::ListenOptions
    pub fn listen_all<F: Factory + Clone>(
        &mut self,
        options: &super::ListenOptions,
        default_port: u16,
        factory: F,
    ) -> Result<(), Failure> {
        for description in options.descriptions(default_port) {
            self.listen(&description, factory.clone())?;
        }
        Ok(())
    }

    /// The application, and the server services to report.
    pub(super) fn into_parts(self) -> (Application, Vec<(String, StreamServerEndpointService)>) {
        (self.application, self.servers)
    }
}
