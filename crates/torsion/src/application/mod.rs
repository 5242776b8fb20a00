//! Services: long-running parts of a program started and stopped together (Twisted's
//! `twisted.application.service` and `twisted.application.internet`).
//!
//! A [`Service`] is something with a start and a stop: a listening port
//! ([`StreamServerEndpointService`]), a timer ([`TimerService`]), a kept-up client
//! connection ([`ClientService`](crate::ClientService)). A [`MultiService`] holds named
//! children, starts them in the order added and stops them in reverse; an
//! [`Application`] is the named root of that tree.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use torsion::application::{server_service, Application, Service, TimerService};
//! use torsion::{Protocol, Reactor};
//!
//! struct Quiet;
//! impl Protocol for Quiet {}
//!
//! let reactor = Reactor::new()?;
//! let app = Application::new("demo");
//! app.add_service(server_service(&reactor, "tcp:0:interface=127.0.0.1", |_peer| Some(Quiet))?.named("web"))?;
//! app.add_service(TimerService::new(&reactor, Duration::from_secs(60), || {}).named("tick"))?;
//! app.start_service();
//! assert!(app.get_service_named("web").unwrap().running());
//! let stopped = app.stop_service();
//! assert!(!app.running());
//! // The port finishes stopping from the loop; the Deferred fires then.
//! let r = reactor.clone();
//! drop(stopped.add_callback(move |()| Ok(r.stop())));
//! reactor.run()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod app;
mod client_service;
mod errors;
mod multi_service;
mod runner;
mod server_service;
mod service;
mod shared_factory;
#[cfg(test)]
mod tests;
mod timer_service;

pub use app::Application;
pub use errors::DuplicateServiceName;
pub use multi_service::MultiService;
pub use runner::{Runner, DEFAULT_GRACE_PERIOD};
pub use server_service::{server_service, StreamServerEndpointService};
pub use service::{Named, Service};
pub use timer_service::TimerService;
