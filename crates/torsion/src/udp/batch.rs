//! [`Batch`]: reading many datagrams with one `recvmmsg(2)` call, each with its sender and
//! its real length (so a datagram cut to the buffer is seen, never passed on silently).

use std::io;
use std::os::fd::RawFd;

use socket2::{SockAddr, SockAddrStorage};

/// Buffers for up to `capacity` datagrams of `max_packet_size` bytes each, with the
/// headers `recvmmsg` fills.
///
/// Invariant: `headers[i]` points at `iovecs[i]` and `names[i]`, and `iovecs[i]` at the
/// `i`-th slot of `buffer`. None of these vectors is resized after construction, so the
/// pointers stay valid as long as the `Batch` lives (moving the `Batch` moves no heap
/// memory).
pub(crate) struct Batch {
    max_packet_size: usize,
    buffer: Vec<u8>,
    names: Vec<SockAddrStorage>,
    iovecs: Vec<libc::iovec>,
    headers: Vec<libc::mmsghdr>,
}

/// One datagram of the last [`Batch::receive`].
pub(crate) struct Received<'a> {
    /// The bytes, at most `max_packet_size` of them.
    pub(crate) data: &'a [u8],
    /// The datagram's real length: larger than `data.len()` when it was cut.
    pub(crate) length: usize,
    /// The sender's address as the kernel gave it.
    pub(crate) from: SockAddr,
}

/// The most bytes one batch buffers: the number of slots falls as datagrams grow.
const BATCH_BYTES: usize = 256 * 1024;
/// The most datagrams one `recvmmsg` call reads.
const MAX_SLOTS: usize = 32;

impl Batch {
    /// Buffers for datagrams of up to `max_packet_size` bytes (at least 1).
    pub(crate) fn new(max_packet_size: usize) -> Batch {
        let max_packet_size = max_packet_size.max(1);
        let capacity = (BATCH_BYTES / max_packet_size).clamp(1, MAX_SLOTS);
        let mut buffer = vec![0u8; capacity * max_packet_size];
        let mut names: Vec<SockAddrStorage> =
            (0..capacity).map(|_| SockAddrStorage::zeroed()).collect();
        let iovecs: Vec<libc::iovec> = buffer
            .chunks_exact_mut(max_packet_size)
            .map(|slot| libc::iovec {
                iov_base: slot.as_mut_ptr().cast(),
                iov_len: slot.len(),
            })
            .collect();
        let mut batch = Batch {
            max_packet_size,
            buffer: Vec::new(),
            names: Vec::new(),
            iovecs,
            headers: Vec::with_capacity(capacity),
        };
        for (iovec, name) in batch.iovecs.iter_mut().zip(names.iter_mut()) {
            // SAFETY: an all-zero `mmsghdr` is a valid value (null pointers, zero lengths).
            let mut header: libc::mmsghdr = unsafe { std::mem::zeroed() };
            header.msg_hdr.msg_iov = iovec;
            header.msg_hdr.msg_iovlen = 1;
            header.msg_hdr.msg_name = (name as *mut SockAddrStorage).cast();
            header.msg_hdr.msg_namelen = name.size_of();
            batch.headers.push(header);
        }
        batch.buffer = buffer;
        batch.names = names;
        batch
    }

    /// The largest datagram delivered whole.
    pub(crate) fn max_packet_size(&self) -> usize {
        self.max_packet_size
    }

    /// Reads as many datagrams as there are slots from `fd` without blocking (fewer when
    /// fewer wait) and returns how many it read.
    ///
    /// # Errors
    ///
    /// The OS error when not even one datagram could be read: `WouldBlock` when none is
    /// waiting, `ECONNREFUSED` on a connected socket whose peer's port is closed.
    pub(crate) fn receive(&mut self, fd: RawFd) -> io::Result<usize> {
        for (header, name) in self.headers.iter_mut().zip(&self.names) {
            header.msg_hdr.msg_namelen = name.size_of();
            header.msg_hdr.msg_flags = 0;
            header.msg_len = 0;
        }
        // SAFETY: `headers` holds `capacity` initialised `mmsghdr`s whose buffers and
        // address slots are owned by `self` and valid for writes of the lengths given (see
        // the struct's invariant); `&mut self` keeps them from being read meanwhile. A
        // null timeout with MSG_DONTWAIT never blocks. MSG_TRUNC makes `msg_len` the
        // datagram's real length while the copy stays bounded by `iov_len`.
        let n = unsafe {
            libc::recvmmsg(
                fd,
                self.headers.as_mut_ptr(),
                self.headers.len() as libc::c_uint,
                libc::MSG_DONTWAIT | libc::MSG_TRUNC,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(n as usize)
    }

    /// Datagram `index` of the last [`receive`](Batch::receive) (below the count it
    /// returned). Its sender slot is taken: call it once per datagram.
    pub(crate) fn take(&mut self, index: usize) -> Received<'_> {
        let header = &self.headers[index];
        let length = header.msg_len as usize;
        let name_len = header.msg_hdr.msg_namelen;
        let storage = std::mem::replace(&mut self.names[index], SockAddrStorage::zeroed());
        // SAFETY: the kernel wrote `name_len` bytes of a socket address into this slot (a
        // zero length, from an unnamed peer, gives an address of family 0).
        let from = unsafe { SockAddr::new(storage, name_len) };
        let start = index * self.max_packet_size;
        let kept = length.min(self.max_packet_size);
        Received {
            data: &self.buffer[start..start + kept],
            length,
            from,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;
    use std::os::fd::AsRawFd;

    fn pair() -> (UdpSocket, UdpSocket) {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        a.set_nonblocking(true).unwrap();
        (a, b)
    }

    #[test]
    fn reads_several_datagrams_in_one_call_with_their_senders() {
        let (reader, writer) = pair();
        let to = reader.local_addr().unwrap();
        for word in [&b"one"[..], b"two", b"three"] {
            writer.send_to(word, to).unwrap();
        }
        let mut batch = Batch::new(100);
        let mut got = Vec::new();
        while got.len() < 3 {
            match batch.receive(reader.as_raw_fd()) {
                Ok(n) => {
                    for i in 0..n {
                        let r = batch.take(i);
                        assert_eq!(r.from.as_socket(), Some(writer.local_addr().unwrap()));
                        got.push(r.data.to_vec());
                    }
                }
                Err(err) => assert_eq!(err.kind(), io::ErrorKind::WouldBlock),
            }
        }
        assert_eq!(got, [&b"one"[..], b"two", b"three"]);
        let empty = batch.receive(reader.as_raw_fd()).unwrap_err();
        assert_eq!(empty.kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn a_datagram_longer_than_a_slot_keeps_its_real_length() {
        let (reader, writer) = pair();
        writer
            .send_to(&[7u8; 50], reader.local_addr().unwrap())
            .unwrap();
        let mut batch = Batch::new(10);
        let n = loop {
            match batch.receive(reader.as_raw_fd()) {
                Ok(n) => break n,
                Err(err) => assert_eq!(err.kind(), io::ErrorKind::WouldBlock),
            }
        };
        assert_eq!(n, 1);
        let r = batch.take(0);
        assert_eq!((r.data.len(), r.length), (10, 50));
    }

    #[test]
    fn slots_shrink_as_datagrams_grow() {
        let slots = |size| Batch::new(size).headers.len();
        assert_eq!(slots(8192), 32);
        assert_eq!(slots(65535), 4);
        assert_eq!(slots(1 << 20), 1);
    }
}
