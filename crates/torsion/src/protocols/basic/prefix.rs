//! [`LengthPrefix`]: how wide the length before an IntN string is.

mod sealed {
    /// Keeps [`LengthPrefix`](super::LengthPrefix) to this module's three widths.
    pub trait Sealed {}
}

/// The width of the big-endian length that prefixes each string of an
/// [`IntNStringReceiver`](super::IntNStringReceiver): [`Int8`], [`Int16`] or [`Int32`].
pub trait LengthPrefix: sealed::Sealed + 'static {
    /// The prefix's size in bytes.
    const BYTES: usize;
}

/// A one-byte length (Twisted's `Int8StringReceiver`): strings up to 255 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Int8;

/// A two-byte big-endian length (Twisted's `Int16StringReceiver`): strings up to 65,535
/// bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Int16;

/// A four-byte big-endian length (Twisted's `Int32StringReceiver`): strings up to
/// 4,294,967,295 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Int32;

impl sealed::Sealed for Int8 {}
impl sealed::Sealed for Int16 {}
impl sealed::Sealed for Int32 {}

impl LengthPrefix for Int8 {
    const BYTES: usize = 1;
}

impl LengthPrefix for Int16 {
    const BYTES: usize = 2;
}

impl LengthPrefix for Int32 {
    const BYTES: usize = 4;
}

/// The prefix of `P` for `length`, in the last `P::BYTES` bytes of the array, or `None` if
/// `length` does not fit.
pub(super) fn encode<P: LengthPrefix>(length: usize) -> Option<[u8; 8]> {
    let length = u64::try_from(length).ok()?;
    (length >> (8 * P::BYTES) == 0).then(|| length.to_be_bytes())
}

/// The length in `prefix` (`P::BYTES` bytes, big-endian).
pub(super) fn decode(prefix: &[u8]) -> usize {
    prefix
        .iter()
        .fold(0, |length, &byte| (length << 8) | usize::from(byte))
}
