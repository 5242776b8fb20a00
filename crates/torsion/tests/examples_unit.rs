//! Runs the unit tests written inside the example programs.
//!
//! Each example is compiled here as a module, so its `#[cfg(test)] mod tests` runs under
//! `cargo test`. (Marking the examples `test = true` in Cargo.toml would run those tests
//! too, but then `cargo test` builds each example only as a test harness and not as the
//! program the end-to-end tests start.) The programs' `main`s are not called here.
//!
//! The poetry clients share `examples/support/poetry.rs` (and the servers
//! `examples/support/listen.rs`), so it is loaded once per example here, as it is in each
//! example's own build.
#![allow(clippy::duplicate_mod)]

#[allow(dead_code)]
#[path = "../examples/chat_client.rs"]
mod chat_client;
#[allow(dead_code)]
#[path = "../examples/chat_server.rs"]
mod chat_server;
#[allow(dead_code)]
#[path = "../examples/clock_demo.rs"]
mod clock_demo;
#[allow(dead_code)]
#[path = "../examples/connection_tester.rs"]
mod connection_tester;
#[allow(dead_code)]
#[path = "../examples/echo_server.rs"]
mod echo_server;
#[allow(dead_code)]
#[path = "../examples/folder_sync_client.rs"]
mod folder_sync_client;
#[allow(dead_code)]
#[path = "../examples/folder_sync_server.rs"]
mod folder_sync_server;
#[allow(dead_code)]
#[path = "../examples/get_poetry_v1.rs"]
mod get_poetry_v1;
#[allow(dead_code)]
#[path = "../examples/get_poetry_v2.rs"]
mod get_poetry_v2;
#[allow(dead_code)]
#[path = "../examples/get_poetry_v3.rs"]
mod get_poetry_v3;
#[allow(dead_code)]
#[path = "../examples/limited_echo_server.rs"]
mod limited_echo_server;
#[allow(dead_code)]
#[path = "../examples/line_echo_server.rs"]
mod line_echo_server;
#[allow(dead_code)]
#[path = "../examples/port_forward.rs"]
mod port_forward;
#[allow(dead_code)]
#[path = "../examples/qotd_server.rs"]
mod qotd_server;
#[allow(dead_code)]
#[path = "../examples/reverse_server.rs"]
mod reverse_server;
#[allow(dead_code)]
#[path = "../examples/slow_poetry_server.rs"]
mod slow_poetry_server;
#[allow(dead_code)]
#[path = "../examples/tls_echo_client.rs"]
mod tls_echo_client;
#[allow(dead_code)]
#[path = "../examples/tls_echo_server.rs"]
mod tls_echo_server;
