//! [`Echo`] (RFC 862) and [`Discard`] (RFC 863).

use crate::{Cx, Protocol};

/// Writes back every byte it receives, as it receives it (RFC 862; Twisted's
/// `wire.Echo`).
///
/// Backpressure comes from the transport: while the echo is not read by the peer and the
/// write buffer is above its high watermark, the connection stops reading, so a peer
/// that writes without reading cannot make the server buffer more than the watermark and
/// one read. The peer's EOF closes the connection once the echo is flushed.
///
/// # Examples
///
/// ```
/// use torsion::protocols::wire::Echo;
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
///
/// let st = StringTransport::new();
/// let h = ProtocolHarness::connect(Echo, &st, &Clock::new())?;
/// h.data_received(b"ping")?;
/// assert_eq!(st.value(), b"ping");
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        cx.transport().write(data);
    }
}

/// Reads everything and drops it; never writes (RFC 863; Twisted's `wire.Discard`).
///
/// The peer's EOF closes the connection.
///
/// # Examples
///
/// ```
/// use torsion::protocols::wire::Discard;
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
///
/// let st = StringTransport::new();
/// let h = ProtocolHarness::connect(Discard, &st, &Clock::new())?;
/// h.data_received(b"into the void")?;
/// assert!(st.value().is_empty());
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Discard;

impl Protocol for Discard {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Clock, ProtocolHarness, StringTransport};

    #[test]
    fn echo_writes_back_every_chunking_in_order() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        for size in 1..10 {
            let st = StringTransport::new();
            let h = ProtocolHarness::connect(Echo, &st, &Clock::new()).unwrap();
            h.data_received_in_chunks(&data, size).unwrap();
            assert_eq!(st.value(), data, "chunks of {size}");
            assert!(!st.disconnecting());
        }
    }

    #[test]
    fn echo_closes_on_eof() {
        let st = StringTransport::new();
        let h = ProtocolHarness::connect(Echo, &st, &Clock::new()).unwrap();
        h.read_connection_lost().unwrap();
        assert!(st.disconnecting());
        assert!(!st.aborted());
    }

    #[test]
    fn discard_writes_nothing_and_stays_open() {
        let st = StringTransport::new();
        let h = ProtocolHarness::connect(Discard, &st, &Clock::new()).unwrap();
        h.data_received_in_chunks(&[7u8; 4096], 100).unwrap();
        assert!(st.value().is_empty());
        assert!(!st.disconnecting());
    }
}
