//! The examples' log lines on a pipe: plain text, no colour codes.

mod examples_util;

use examples_util::{poem_path, Program};

/// Every server logs `listening` through `tracing` when it starts.
#[test]
fn servers_log_without_colour_codes_to_a_pipe() {
    let poem = poem_path("kettle.txt");
    let servers: [(&str, &[&str]); 5] = [
        ("echo_server", &[]),
        ("qotd_server", &[]),
        ("limited_echo_server", &[]),
        ("chat_server", &[]),
        ("slow_poetry_server", &[poem.to_str().unwrap()]),
    ];
    for (name, args) in servers {
        let (server, _port) = Program::start_server(name, args);
        let line =
            server.wait_for_stderr_line("the `listening` log line", |l| l.contains("listening"));
        assert!(line.contains(" INFO "), "{name}: {line:?}");
        let stderr = server.stderr_lines().join("\n");
        assert!(!stderr.contains("\x1b["), "{name}: {stderr:?}");
    }
}
