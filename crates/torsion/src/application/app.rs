//! [`Application`]: the named root of a program's services.

use std::rc::Rc;

use super::{DuplicateServiceName, MultiService, Service};
use crate::defer::Deferred;

/// The root of a program's services, with a name (Twisted's `Application`, whose
/// `IService` is a `MultiService`): what a program builds, starts when the loop starts,
/// and stops before it exits. It behaves as its [`MultiService`] in every way.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use torsion::application::{Application, Service, TimerService};
/// use torsion::testing::Clock;
///
/// let clock = Clock::new();
/// let app = Application::new("janitor");
/// app.add_service(TimerService::new(&clock, Duration::from_secs(5), || {}).named("sweep"))?;
/// app.start_service();
/// assert_eq!(app.name(), Some("janitor"));
/// assert!(app.get_service_named("sweep").unwrap().running());
/// app.stop_service();
/// # Ok::<(), torsion::application::DuplicateServiceName>(())
/// ```
#[derive(Debug, Clone)]
pub struct Application {
    name: String,
    services: MultiService,
}

impl Application {
    /// An application called `name`, with no services, stopped.
    pub fn new(name: impl Into<String>) -> Application {
        Application {
            name: name.into(),
            services: MultiService::new(),
        }
    }

    /// Its services.
    pub fn services(&self) -> &MultiService {
        &self.services
    }

    /// See [`MultiService::add_service`].
    ///
    /// # Errors
    ///
    /// [`DuplicateServiceName`] if a service already has that name.
    pub fn add_service(&self, service: impl Service) -> Result<(), DuplicateServiceName> {
        self.services.add_service(service)
    }

    /// See [`MultiService::remove_service`].
    #[track_caller]
    pub fn remove_service(&self, name: &str) -> Option<Deferred<()>> {
        self.services.remove_service(name)
    }

    /// See [`MultiService::get_service_named`].
    pub fn get_service_named(&self, name: &str) -> Option<Rc<dyn Service>> {
        self.services.get_service_named(name)
    }
}

impl Service for Application {
    fn start_service(&self) {
        self.services.start_service();
    }

    #[track_caller]
    fn stop_service(&self) -> Deferred<()> {
        self.services.stop_service()
    }

    fn running(&self) -> bool {
        self.services.running()
    }

    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }
}
