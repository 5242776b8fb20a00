//! Outgoing stream connections of every kind (TCP, UNIX): one connector state machine
//! ([`StreamConnector`]) that times attempts out, registers the connecting socket with the
//! stream engine, builds the protocol once connected and reports to the factory. What a
//! kind knows (finding the address, opening the socket, telling whether it connected) is
//! its [`Dial`].

mod connector;
mod dial;

pub(crate) use connector::StreamConnector;
pub(crate) use dial::{classify_connect_error, Dial};
