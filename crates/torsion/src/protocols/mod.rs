//! Ready-made protocols built on [`Protocol`](crate::Protocol) (Twisted's
//! `twisted.protocols`).

pub mod basic;
pub mod policies;
pub mod portforward;
pub mod wire;
