//! TCP: listening ports, outgoing connections, and the connection itself.

mod conn;
mod connector;
mod io;
mod listener;
mod shared_port;
mod stream_handle;

pub(crate) use conn::ConnCell;
pub use connector::{ConnectOptions, Connector, Destination};
pub(crate) use listener::Listener;
pub use listener::{ListenOptions, ListeningPort};
pub use shared_port::SharedPort;
pub(crate) use stream_handle::StreamHandle;
