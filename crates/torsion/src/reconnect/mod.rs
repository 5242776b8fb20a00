//! Staying connected: [`ReconnectingClientFactory`] (a client factory that retries with
//! backoff) and [`ClientService`] (one connection kept up through an endpoint).

mod factory;
mod jitter;
mod service;

pub use factory::ReconnectingClientFactory;
pub use service::{default_retry_policy, ClientService, RetryPolicy};

#[cfg(test)]
mod tests;
