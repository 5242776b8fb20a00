//! Endpoints: where to listen and where to connect, as values (Twisted's
//! `twisted.internet.endpoints`).
//!
//! An endpoint says *where*; [`listen`](ServerEndpoint::listen) and
//! [`connect`](ClientEndpoint::connect) say *what runs there*, and give a
//! [`Deferred`](crate::defer::Deferred) of the result.

mod announce;
mod connect;
mod hostname;
mod tcp;

pub use connect::{connect_protocol, ClientEndpoint, ServerEndpoint};
pub use hostname::HostnameEndpoint;
pub use tcp::{TcpClientEndpoint, TcpServerEndpoint};
