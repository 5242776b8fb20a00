//! TCP: listening ports, outgoing connections, and TCP's own side of a stream connection.
//! The connection's state machine is the stream engine's ([`crate::stream`]).

mod connecting;
mod connector;
mod connector_state;
mod listener;
mod shared_port;
mod source;

pub(crate) use connector::ConnectorBackend;
pub use connector::{ConnectOptions, Connector, Destination};
pub(crate) use connector_state::{ConnectorState, Phase};
pub use listener::{ListenOptions, ListeningPort};
pub use shared_port::SharedPort;
pub(crate) use source::TcpSource;
