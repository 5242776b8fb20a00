//! Listening ports of every kind (TCP, UNIX): the table the reactor keeps them in and the
//! accepting they share (a fair share per event, backing off when descriptors run out).
//! What a kind of listening socket knows (how it accepts, what it removes when it stops)
//! is its [`AcceptSource`].

mod accepting;
mod source;
mod table;

pub(crate) use source::{AcceptSource, Accepted};
pub(crate) use table::Listeners;
