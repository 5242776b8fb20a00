//! [`MultiService`]: a service made of named children (Twisted's `MultiService`).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use super::{DuplicateServiceName, Service};
use crate::defer::{Deferred, DeferredList};
use crate::Failure;

/// A service that holds children and starts and stops them with itself (Twisted's
/// `MultiService`).
///
/// [`start_service`](Service::start_service) starts the children in the order they were
/// added; [`stop_service`](Service::stop_service) stops them in the reverse order, all at
/// once (it does not wait for one before stopping the next, as Twisted), and its Deferred
/// fires when every child's stop Deferred has fired. A child whose stop fails is logged
/// (at `warn`) and does not fail the parent's Deferred. A child added to a running
/// parent is started at once.
///
/// Faults stay with the child: a child that panics in `start_service` is logged (at
/// `error`) and the next children still start; one that panics in `stop_service` counts
/// as a failed stop. The value is a cheap handle: clones share the children.
///
/// # Examples
///
/// ```
/// use torsion::application::{MultiService, Service};
///
/// let root = MultiService::new();
/// let workers = MultiService::new();
/// root.add_service(workers.clone().named("workers"))?;
/// root.start_service();
/// assert!(workers.running());
/// assert!(root.stop_service().called());
/// assert!(!workers.running());
/// # Ok::<(), torsion::application::DuplicateServiceName>(())
/// ```
#[derive(Clone, Default)]
pub struct MultiService {
    inner: Rc<Inner>,
}

#[derive(Default)]
struct Inner {
    running: Cell<bool>,
    children: RefCell<Vec<Rc<dyn Service>>>,
}

impl MultiService {
    /// An empty, stopped parent.
    pub fn new() -> MultiService {
        MultiService::default()
    }

    /// Adds `service` as the last child, under its [`name`](Service::name) if it has
    /// one, and starts it if this parent is running.
    ///
    /// # Errors
    ///
    /// [`DuplicateServiceName`] if a child already has that name; nothing is added.
    pub fn add_service(&self, service: impl Service) -> Result<(), DuplicateServiceName> {
        let service: Rc<dyn Service> = Rc::new(service);
        if let Some(name) = service.name() {
            if self.get_service_named(name).is_some() {
                return Err(DuplicateServiceName::new(name));
            }
        }
        self.inner.children.borrow_mut().push(service.clone());
        if self.running() {
            start_child(&service);
        }
        Ok(())
    }

    /// Removes the child named `name`: `None` if there is none, else its stop Deferred
    /// if this parent is running (the child is stopped), or a fired one if not.
    #[track_caller]
    pub fn remove_service(&self, name: &str) -> Option<Deferred<()>> {
        let removed = {
            let mut children = self.inner.children.borrow_mut();
            let at = children.iter().position(|c| c.name() == Some(name))?;
            children.remove(at)
        };
        Some(if self.running() {
            stop_child(&removed)
        } else {
            Deferred::succeed(())
        })
    }

    /// The child named `name`, if there is one.
    pub fn get_service_named(&self, name: &str) -> Option<Rc<dyn Service>> {
        self.inner
            .children
            .borrow()
            .iter()
            .find(|c| c.name() == Some(name))
            .cloned()
    }

    /// How many children there are.
    pub fn len(&self) -> usize {
        self.inner.children.borrow().len()
    }

    /// Whether there are no children.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The children as they are now, so no borrow is held while a child runs (a child may
    /// add or remove services from its start or stop).
    fn snapshot(&self) -> Vec<Rc<dyn Service>> {
        self.inner.children.borrow().clone()
    }
}

impl Service for MultiService {
    fn start_service(&self) {
        if self.inner.running.replace(true) {
            return;
        }
        for child in self.snapshot() {
            start_child(&child);
        }
    }

    #[track_caller]
    fn stop_service(&self) -> Deferred<()> {
        self.inner.running.set(false);
        let stops = self
            .snapshot()
            .iter()
            .rev()
            .map(|child| {
                let name = label(child).to_owned();
                stop_child(child).add_errback(move |failure| {
                    tracing::warn!(service = %name, %failure, "service failed to stop");
                    Ok(())
                })
            })
            .collect::<Vec<_>>();
        DeferredList::new(stops).results().add_callback(|_| Ok(()))
    }

    fn running(&self) -> bool {
        self.inner.running.get()
    }
}

/// The name a child is logged under.
fn label(child: &Rc<dyn Service>) -> &str {
    child.name().unwrap_or("(unnamed)")
}

/// Starts `child`; a panic in it is logged and goes no further.
fn start_child(child: &Rc<dyn Service>) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| child.start_service())) {
        let failure = Failure::from_panic("Service::start_service", payload);
        tracing::error!(service = %label(child), %failure, "service panicked while starting");
    }
}

/// Stops `child`; a panic in it becomes its failed stop Deferred.
#[track_caller]
fn stop_child(child: &Rc<dyn Service>) -> Deferred<()> {
    catch_unwind(AssertUnwindSafe(|| child.stop_service())).unwrap_or_else(|payload| {
        Deferred::fail(Failure::from_panic("Service::stop_service", payload))
    })
}

impl fmt::Debug for MultiService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let children = self.inner.children.borrow();
        f.debug_struct("MultiService")
            .field("running", &self.inner.running.get())
            .field(
                "children",
                &children.iter().map(|c| c.name()).collect::<Vec<_>>(),
            )
            .finish()
    }
}
