//! `futures_io`'s `AsyncRead` and `AsyncWrite` for [`Connection`].

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::Connection;

impl futures_io::AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.shared().poll_read(cx, buf)
    }
}

impl futures_io::AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.shared().poll_write(cx, buf)
    }

    /// Ready at once: written bytes are in the transport, which the loop sends.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.shared().poll_close(cx).map(|reason| {
            if reason.check::<crate::error::ConnectionDone>() {
                Ok(())
            } else {
                Err(super::shared::io_error(&reason))
            }
        })
    }
}
