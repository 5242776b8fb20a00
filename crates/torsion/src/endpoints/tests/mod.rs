//! Tests of endpoints on the memory reactor, and of endpoint descriptions: syntax, argument
//! conversion, registries, the TCP, UNIX and TLS specs, and properties over arbitrary input.

mod arguments;
mod description;
mod memory;
mod properties;
mod registry;
mod tcp_spec;
mod tls_spec;
mod unix_spec;
