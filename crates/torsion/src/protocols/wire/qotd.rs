//! [`Qotd`]: the Quote of the Day service (RFC 865).

use std::rc::Rc;

use crate::{Cx, Protocol};

/// Writes one quote and a CRLF as soon as the peer connects, then closes the connection
/// once that is sent; what the peer sends is ignored (RFC 865; Twisted's `wire.QOTD`).
///
/// The bytes are the quote as given, then `\r\n` (what `examples/qotd_server.rs` sends;
/// Twisted's `QOTD` sends its fixed quote the same way). The quote is shared, so one
/// `Qotd` cloned per connection costs no copy.
///
/// # Examples
///
/// ```
/// use torsion::protocols::wire::Qotd;
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
///
/// let st = StringTransport::new();
/// ProtocolHarness::connect(Qotd::new("Be kind."), &st, &Clock::new())?;
/// assert_eq!(st.value(), b"Be kind.\r\n");
/// assert!(st.disconnecting());
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug, Clone)]
pub struct Qotd {
    quote: Rc<str>,
}

impl Qotd {
    /// The quote served when none is given (the one `examples/qotd_server.rs` serves).
    pub const DEFAULT_QUOTE: &'static str = "A quiet loop serves many voices.";

    /// Serves `quote` (without its line end: `\r\n` is added).
    pub fn new(quote: impl Into<Rc<str>>) -> Qotd {
        Qotd {
            quote: quote.into(),
        }
    }

    /// The quote served.
    pub fn quote(&self) -> &str {
        &self.quote
    }
}

impl Default for Qotd {
    /// Serves [`Qotd::DEFAULT_QUOTE`].
    fn default() -> Qotd {
        Qotd::new(Qotd::DEFAULT_QUOTE)
    }
}

impl Protocol for Qotd {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport()
            .write_sequence([self.quote.as_bytes(), b"\r\n"]);
        cx.transport().lose_connection();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Clock, ProtocolHarness, StringTransport};

    #[test]
    fn writes_the_default_quote_line_then_closes_cleanly() {
        let st = StringTransport::new();
        let h = ProtocolHarness::connect(Qotd::default(), &st, &Clock::new()).unwrap();
        assert_eq!(st.value_str(), "A quiet loop serves many voices.\r\n");
        assert!(st.disconnecting());
        assert!(!st.aborted());
        h.data_received(b"ignored").unwrap();
        assert_eq!(st.value_str(), "A quiet loop serves many voices.\r\n");
    }

    #[test]
    fn clones_share_the_quote() {
        let a = Qotd::new("Shared.");
        let b = a.clone();
        assert!(std::ptr::eq(a.quote(), b.quote()));
    }
}
