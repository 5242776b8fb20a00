//! `sendmsg` and `recvmsg` with `SCM_RIGHTS`: descriptors passed over a UNIX socket.

use std::io;
use std::mem::{size_of, zeroed, MaybeUninit};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// The most descriptors one message carries (Linux's `SCM_MAX_FD`).
pub(super) const MAX_FDS_PER_MESSAGE: usize = 253;

/// Room for one `SCM_RIGHTS` header with [`MAX_FDS_PER_MESSAGE`] descriptors, aligned
/// for `cmsghdr`.
#[repr(C, align(8))]
struct Control([u8; 1056]);

const _: () = assert!(
    size_of::<libc::cmsghdr>() + MAX_FDS_PER_MESSAGE * size_of::<libc::c_int>() + 8 <= 1056
);

/// Sends `data` with `fds` (at most [`MAX_FDS_PER_MESSAGE`], at least one byte of data)
/// in one `sendmsg`; returns the bytes sent. The descriptors went if any byte did.
pub(super) fn send_with_fds(socket: RawFd, data: &[u8], fds: &[RawFd]) -> io::Result<usize> {
    debug_assert!(!data.is_empty() && !fds.is_empty() && fds.len() <= MAX_FDS_PER_MESSAGE);
    let payload = std::mem::size_of_val(fds);
    let mut control = Control([0; 1056]);
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    // SAFETY: all-zero bytes are a valid `msghdr` (null pointers, zero lengths).
    let mut msg: libc::msghdr = unsafe { zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.0.as_mut_ptr().cast();
    // SAFETY: CMSG_SPACE only computes a size.
    msg.msg_controllen = unsafe { libc::CMSG_SPACE(payload as u32) } as usize;
    // SAFETY: `msg_control` points at `control`, which is aligned for `cmsghdr` and
    // larger than CMSG_SPACE(payload) (checked at compile time for the largest payload),
    // so the first header and its data fit; `fds` is valid for reads of `payload` bytes.
    // `sendmsg` reads `data` through `iov` and the header through `msg` only during the
    // call; `socket` is open for the call.
    let sent = unsafe {
        let header = libc::CMSG_FIRSTHDR(&msg);
        (*header).cmsg_level = libc::SOL_SOCKET;
        (*header).cmsg_type = libc::SCM_RIGHTS;
        (*header).cmsg_len = libc::CMSG_LEN(payload as u32) as usize;
        std::ptr::copy_nonoverlapping(fds.as_ptr().cast::<u8>(), libc::CMSG_DATA(header), payload);
        libc::sendmsg(socket, &msg, libc::MSG_NOSIGNAL)
    };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(sent as usize)
}

/// Reads once into `buf` with `recvmsg`, close-on-exec, appending the descriptors that
/// came to `fds`; returns the bytes read.
pub(crate) fn recv_with_fds(
    socket: RawFd,
    buf: &mut [u8],
    fds: &mut Vec<OwnedFd>,
) -> io::Result<usize> {
    // Not zeroed (a memset of 1 KiB per read): the kernel writes the headers, and only
    // the `msg_controllen` bytes it reports written are read back.
    let mut control = MaybeUninit::<Control>::uninit();
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: all-zero bytes are a valid `msghdr`.
    let mut msg: libc::msghdr = unsafe { zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = size_of::<Control>();
    // SAFETY: `buf` and `control` are valid for writes of the lengths in `msg` for the
    // call (the kernel only writes `control`); `socket` is open for the call.
    let n = unsafe { libc::recvmsg(socket, &mut msg, libc::MSG_CMSG_CLOEXEC) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel filled (initialized) `msg_controllen` bytes of `control` with
    // well-formed headers; CMSG_FIRSTHDR/CMSG_NXTHDR stay within them, and each SCM_RIGHTS header's
    // data holds `(cmsg_len - CMSG_LEN(0)) / 4` descriptors that are now ours (read
    // unaligned: the data need not be aligned for `c_int`).
    unsafe {
        let mut header = libc::CMSG_FIRSTHDR(&msg);
        while !header.is_null() {
            if (*header).cmsg_level == libc::SOL_SOCKET && (*header).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(header);
                let bytes = (*header).cmsg_len - libc::CMSG_LEN(0) as usize;
                for i in 0..bytes / size_of::<libc::c_int>() {
                    let fd = data
                        .add(i * size_of::<libc::c_int>())
                        .cast::<libc::c_int>()
                        .read_unaligned();
                    fds.push(OwnedFd::from_raw_fd(fd));
                }
            }
            header = libc::CMSG_NXTHDR(&msg, header);
        }
    }
    if msg.msg_flags & libc::MSG_CTRUNC != 0 {
        tracing::warn!("more descriptors came than one read takes; the kernel closed the rest");
    }
    Ok(n as usize)
}
