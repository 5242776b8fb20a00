//! Reusable protocols built on [`Protocol`](crate::Protocol) (Twisted's `twisted.protocols`).

pub mod basic;
