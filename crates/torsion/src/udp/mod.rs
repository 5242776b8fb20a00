//! Datagram transports: UDP, multicast and UNIX datagram sockets (Twisted's
//! `IReactorUDP`, `IReactorMulticast`, `IReactorUNIXDatagram`).

mod batch;
mod errors;
mod multicast;
mod options;
mod port;
mod protocol;
mod sockaddr;
mod transport;
mod unix_datagram;

pub use errors::{DatagramPortError, MessageLengthError, MulticastJoinError};
pub use options::{UdpOptions, DEFAULT_MAX_PACKET_SIZE};
pub(crate) use port::Datagrams;
pub use protocol::{DatagramCx, DatagramProtocol};
pub use transport::DatagramTransport;
