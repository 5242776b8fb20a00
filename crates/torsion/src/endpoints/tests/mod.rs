//! Tests of endpoint descriptions: syntax, argument conversion, registries, the TCP specs,
//! and properties over arbitrary input.

mod arguments;
mod description;
mod properties;
mod registry;
mod tcp_spec;
