//! `reverse`: the seeds' reversing server (`reverse_app.py`): each line comes back
//! reversed; `quit` closes the connection. Port 2323 by default.

use crate::cli::{ListenOptions, Plugin};
use crate::dispatch::DispatchError;
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

/// One client of the reversing server.
struct Reverser;

impl Reverser {
    crate::commands! {
        /// Runs the line's command, or reverses a line that is none.
        fn dispatch(&mut self, cx: &mut LineCx<'_, Self>, line);
        "quit" => quit(),
        _ => reverse_line,
    }

    fn quit(&mut self, cx: &mut LineCx<'_, Self>) {
        cx.transport().lose_connection();
    }

    fn reverse_line(&mut self, cx: &mut LineCx<'_, Self>, line: &str, _why: DispatchError) {
        let reversed: String = line.chars().rev().collect();
        cx.send_line(reversed.as_bytes());
    }
}

impl LineReceiver for Reverser {
    fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        match std::str::from_utf8(line) {
            Ok(text) => self.dispatch(cx, text),
            Err(_) => {
                let reversed: Vec<u8> = line.iter().rev().copied().collect();
                cx.send_line(&reversed);
            }
        }
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
        h.data_received(b"hello world!\r\nquit\r\n").unwrap();
        assert_eq!(st.value_str(), "!dlrow olleh\r\n");
        assert!(st.disconnecting());
    }
}
