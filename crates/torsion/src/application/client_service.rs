//! [`ClientService`] as a [`Service`], so it can be a child of a
//! [`MultiService`](super::MultiService).

use super::Service;
use crate::defer::Deferred;
use crate::{ClientService, Protocol};

/// Starts and stops as [`ClientService::start_service`] and
/// [`ClientService::stop_service`] (the stop Deferred fires once the connection is
/// closed).
impl<P: Protocol> Service for ClientService<P> {
    fn start_service(&self) {
        ClientService::start_service(self);
    }

    #[track_caller]
    fn stop_service(&self) -> Deferred<()> {
        ClientService::stop_service(self)
    }

    fn running(&self) -> bool {
        ClientService::running(self)
    }
}
