//! `reverse`: the seeds' reversing server (`reverse_app.py`): each line comes back
//! reversed; `quit` closes the connection. Port 2323 by default.

use crate::cli::{ListenOptions, Plugin};
use crate::protocols::basic::{LineCx, LineProtocol, LineReceiver};
use crate::Failure;

pub(super) fn plugin() -> Plugin {
    Plugin::new(
        "reverse",
        "Sends each line back reversed, `quit` closes (the seeds' reverse server); port 2323 \
         by default.",
        |options: ListenOptions, cx| {
            cx.listen_all(&options, 2323, |_peer| Some(LineProtocol::new(Reverser)))
        },
    )
}

/// One client of the reversing server. As in the seed, a line that is exactly `quit`
/// closes the connection; any other comes back reversed (by characters when it is text,
/// by bytes when it is not).
struct Reverser;

impl LineReceiver for Reverser {
    fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        if line == b"quit" {
            return cx.transport().lose_connection();
        }
        let reversed = match std::str::from_utf8(line) {
            Ok(text) => text.chars().rev().collect::<String>().into_bytes(),
            Err(_) => line.iter().rev().copied().collect(),
        };
        cx.send_line(&reversed);
    }

    fn connection_lost(&mut self, cx: &mut LineCx<'_, Self>, reason: &Failure) {
        tracing::info!(
            "connection from {} closed: {reason}",
            cx.transport().get_peer()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Clock, ProtocolHarness, StringTransport};

    #[test]
    fn reverses_lines_and_quits() {
        let st = StringTransport::new();
        let h = ProtocolHarness::connect(LineProtocol::new(Reverser), &st, &Clock::new()).unwrap();
        let mut input = "hello world!\r\nnaïve\r\nquit now\r\n".as_bytes().to_vec();
        input.extend_from_slice(b"\xff\x01\r\nquit\r\nafter\r\n");
        h.data_received(&input).unwrap();
        let mut expected = "!dlrow olleh\r\nevïan\r\nwon tiuq\r\n".as_bytes().to_vec();
        expected.extend_from_slice(b"\x01\xff\r\n");
        assert_eq!(st.value(), expected);
        assert!(st.disconnecting());
    }
}
