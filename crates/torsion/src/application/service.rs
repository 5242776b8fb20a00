//! [`Service`]: something a program starts and stops (Twisted's `IService`), and
//! [`Named`], a service with a name given from outside.

use crate::defer::Deferred;

/// A part of a program with a start and a stop (Twisted's `IService`): a listening port,
/// a timer, a kept-up connection. Implementations are cheap handles (`&self` methods,
/// state inside), so a [`MultiService`](super::MultiService) can hold one while its
/// owner keeps a clone.
///
/// The contract: [`start_service`](Service::start_service) begins the work and returns;
/// starting a running service does nothing. [`stop_service`](Service::stop_service) ends
/// it and gives a Deferred that fires when the work is really over (a port closed, a
/// connection gone), at once when there was nothing to wait for; stopping a stopped
/// service fires at once. [`running`](Service::running) is true between the two. Both
/// are called from the loop's thread; neither may block.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use torsion::application::{MultiService, Service};
/// use torsion::defer::Deferred;
///
/// #[derive(Default)]
/// struct Flag(Cell<bool>);
///
/// impl Service for Flag {
///     fn start_service(&self) {
///         self.0.set(true);
///     }
///     fn stop_service(&self) -> Deferred<()> {
///         self.0.set(false);
///         Deferred::succeed(())
///     }
///     fn running(&self) -> bool {
///         self.0.get()
///     }
/// }
///
/// let parent = MultiService::new();
/// parent.add_service(Flag::default().named("flag"))?;
/// parent.start_service();
/// assert!(parent.get_service_named("flag").unwrap().running());
/// # Ok::<(), torsion::application::DuplicateServiceName>(())
/// ```
pub trait Service: 'static {
    /// Starts the service; nothing if it is running.
    fn start_service(&self);

    /// Stops the service. The Deferred fires when it has stopped (at once if there was
    /// nothing to wait for); it fails only if stopping went wrong.
    ///
    /// # Cancel safety
    ///
    /// Cancelling the Deferred does not undo the stop; it only stops waiting for it.
    fn stop_service(&self) -> Deferred<()>;

    /// Whether the service is started.
    fn running(&self) -> bool;

    /// The name a [`MultiService`](super::MultiService) files it under; `None` (the
    /// default) for an anonymous child, which cannot be looked up or removed by name.
    fn name(&self) -> Option<&str> {
        None
    }

    /// This service under `name` (Twisted's `setName`).
    fn named(self, name: impl Into<String>) -> Named<Self>
    where
        Self: Sized,
    {
        Named {
            name: name.into(),
            service: self,
        }
    }
}

/// A service with a name given by [`Service::named`]; it starts and stops as the
/// service inside.
///
/// # Examples
///
/// ```
/// use torsion::application::{MultiService, Service};
///
/// let named = MultiService::new().named("inner");
/// assert_eq!(named.name(), Some("inner"));
/// assert!(!named.get().running());
/// ```
#[derive(Debug, Clone)]
pub struct Named<S> {
    name: String,
    service: S,
}

impl<S> Named<S> {
    /// The service inside.
    pub fn get(&self) -> &S {
        &self.service
    }
}

impl<S: Service> Service for Named<S> {
    fn start_service(&self) {
        self.service.start_service();
    }

    fn stop_service(&self) -> Deferred<()> {
        self.service.stop_service()
    }

    fn running(&self) -> bool {
        self.service.running()
    }

    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }
}
