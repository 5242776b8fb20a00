//! [`Streams`]: a reactor's stream connections and the work queued for them.

use std::cell::{RefCell, RefMut};
use std::rc::Rc;

use super::conn::{StreamCell, StreamConn};
use crate::address::Address;
use crate::slab::{Key, Slab};

/// The size of the one read buffer every connection of a reactor reads into.
pub(crate) const READ_BUFFER: usize = 64 * 1024;

/// Every stream connection of one reactor, by key, and the lists the loop works through.
///
/// Invariants: a connection is in the table from its creation until `finalize` (or a
/// discard before its protocol existed) removes it; a cell in the dirty list has
/// [`IN_DIRTY`](super::flags::IN_DIRTY) set or was flushed already (the flush skips it);
/// the read buffer is borrowed by one loop pass at a time (reads never nest).
#[derive(Default)]
pub(crate) struct Streams {
    conns: RefCell<Slab<Rc<StreamCell>>>,
    /// Connections with something to write, shut down or close, in the order they asked.
    dirty: RefCell<Vec<Rc<StreamCell>>>,
    /// A spare dirty list: swapped with `dirty` at each flush, so neither reallocates.
    flushing: RefCell<Vec<Rc<StreamCell>>>,
    /// The flush's list of connections that need its slow path.
    flushing_slow: RefCell<Vec<Rc<StreamCell>>>,
    /// Connections to read from without waiting for an event (resumed, cut short, or
    /// always ready).
    resumed: RefCell<Vec<Key>>,
    read_buf: RefCell<Vec<u8>>,
}

impl Streams {
    pub(crate) fn new() -> Streams {
        Streams {
            read_buf: RefCell::new(vec![0; READ_BUFFER]),
            ..Streams::default()
        }
    }

    /// Adds a connection and returns its cell.
    pub(crate) fn insert(&self, host: Address, peer: Address, conn: StreamConn) -> Rc<StreamCell> {
        let mut conns = self.conns.borrow_mut();
        let key = conns.next_key();
        let cell = StreamCell::new(key, host, peer, conn);
        let inserted = conns.insert(cell.clone());
        debug_assert_eq!(inserted, key);
        cell
    }

    /// The key the next `insert` returns (to register a descriptor before inserting).
    pub(crate) fn next_key(&self) -> Key {
        self.conns.borrow().next_key()
    }

    /// The open connection `key`, if any.
    #[inline(always)]
    pub(crate) fn get(&self, key: Key) -> Option<Rc<StreamCell>> {
        self.conns.borrow().get(key).cloned()
    }

    pub(crate) fn remove(&self, key: Key) -> Option<Rc<StreamCell>> {
        self.conns.borrow_mut().remove(key)
    }

    pub(crate) fn len(&self) -> usize {
        self.conns.borrow().len()
    }

    pub(crate) fn keys(&self) -> Vec<Key> {
        self.conns.borrow().keys()
    }

    /// Lists `cell` for the loop's flush.
    #[inline(always)]
    pub(crate) fn push_dirty(&self, cell: Rc<StreamCell>) {
        self.dirty.borrow_mut().push(cell);
    }

    /// The dirty list, swapped for the (empty) spare, and the spare slow list.
    pub(crate) fn take_dirty(&self) -> (Vec<Rc<StreamCell>>, Vec<Rc<StreamCell>>) {
        let mut cells = std::mem::take(&mut *self.flushing.borrow_mut());
        std::mem::swap(&mut *self.dirty.borrow_mut(), &mut cells);
        (cells, std::mem::take(&mut *self.flushing_slow.borrow_mut()))
    }

    /// Gives the (drained) lists back for the next flush.
    pub(crate) fn return_lists(&self, cells: Vec<Rc<StreamCell>>, slow: Vec<Rc<StreamCell>>) {
        debug_assert!(cells.is_empty() && slow.is_empty());
        *self.flushing.borrow_mut() = cells;
        *self.flushing_slow.borrow_mut() = slow;
    }

    /// Reads `key` on this iteration without waiting for an event.
    pub(crate) fn push_resumed(&self, key: Key) {
        self.resumed.borrow_mut().push(key);
    }

    /// The connections to read now, each once: one may have been listed twice (cut short
    /// after its fair share, then resumed by its producer in the same pass), and a second
    /// entry would give it a second share.
    pub(crate) fn take_resumed(&self) -> Vec<Key> {
        let mut keys = std::mem::take(&mut *self.resumed.borrow_mut());
        if keys.len() > 1 {
            keys.sort_unstable_by_key(|key| (key.index, key.generation));
            keys.dedup();
        }
        keys
    }

    /// Whether the next poll must not block: there is work queued already.
    pub(crate) fn has_queued_work(&self) -> bool {
        !self.dirty.borrow().is_empty() || !self.resumed.borrow().is_empty()
    }

    /// The read buffer, for one loop pass.
    pub(crate) fn read_buf(&self) -> RefMut<'_, Vec<u8>> {
        self.read_buf.borrow_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_listed_twice_is_read_once_per_pass() {
        let streams = Streams::new();
        let (a, b) = (
            Key {
                index: 3,
                generation: 1,
            },
            Key {
                index: 1,
                generation: 2,
            },
        );
        for key in [a, b, a, a] {
            streams.push_resumed(key);
        }
        let mut taken = streams.take_resumed();
        taken.sort_unstable_by_key(|key| key.index);
        assert_eq!(taken, [b, a]);
        assert!(streams.take_resumed().is_empty());
    }
}
