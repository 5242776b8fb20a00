//! TCP: listening ports, outgoing connections, and the connection itself.

mod conn;
mod connector;
mod listener;

pub(crate) use conn::{Conn, StreamHandle};
pub use connector::{ConnectOptions, Connector, Destination};
pub(crate) use listener::Listener;
pub use listener::{ListenOptions, ListeningPort};
