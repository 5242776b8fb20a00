//! What the poetry tests share: poetry servers to download from, the client's progress
//! lines taken apart, and the checks every poetry client must pass.

use super::{dead_port, poem_path, Program, ResettingServer, TIMEOUT};

/// The text of poem `name` from `examples/poetry/`.
pub fn poem(name: &str) -> Vec<u8> {
    std::fs::read(poem_path(name)).unwrap()
}

/// Starts a slow poetry server for poem `name`, sending `num_bytes` every 10 ms.
pub fn poetry_server(name: &str, num_bytes: &str) -> (Program, u16) {
    let path = poem_path(name);
    let path = path.to_str().unwrap();
    Program::start_server(
        "slow_poetry_server",
        &[path, "--num-bytes", num_bytes, "--delay", "0.01"],
    )
}

/// Parses `Task N: got X bytes of poetry from HOST:PORT` into (N, X, HOST:PORT).
pub fn parse_chunk_line(line: &str) -> Option<(usize, usize, String)> {
    let rest = line.strip_prefix("Task ")?;
    let (task, rest) = rest.split_once(": got ")?;
    let (bytes, from) = rest.split_once(" bytes of poetry from ")?;
    Some((task.parse().ok()?, bytes.parse().ok()?, from.to_string()))
}

/// Checks `H:MM:SS.ffffff`.
pub fn is_elapsed(text: &str) -> bool {
    let parts: Vec<&str> = text.split([':', '.']).collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    parts.len() == 4
        && !parts[0].is_empty()
        && digits(parts[0], parts[0].len())
        && digits(parts[1], 2)
        && digits(parts[2], 2)
        && digits(parts[3], 6)
}

/// Runs a poetry client against a refused port and a host that does not resolve.
pub fn check_poetry_client_with_no_server(client: &str) {
    let dead = dead_port();
    let args = [dead.to_string(), "no-such-host.invalid:10000".to_string()];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut program = Program::start(client, &args);
    let (status, lines) = program.wait_for_exit(TIMEOUT);
    assert_eq!(status.code(), Some(1), "{}", program.report());
    let refused = format!("Failed to connect to: 127.0.0.1:{dead}: ConnectionRefused: ");
    let unresolved = "Failed to connect to: no-such-host.invalid:10000: DnsLookupError: DNS \
                      lookup failed: address \"no-such-host.invalid\" not found: ";
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(
        lines[..2].iter().any(|l| l.starts_with(&refused)),
        "{lines:#?}"
    );
    assert!(
        lines[..2].iter().any(|l| l.starts_with(unresolved)),
        "{lines:#?}"
    );
    assert!(lines[2].starts_with("Got 0 poems in "), "{lines:#?}");
    let failed = program.stderr_lines();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert!(
        failed[0].starts_with("2 of 2 downloads failed: "),
        "{failed:#?}"
    );
}

/// Runs a poetry client against a server that sends half a poem and resets the connection.
pub fn check_poetry_client_with_a_broken_download(client: &str) {
    let server = ResettingServer::start(b"Half a po");
    let port = server.port;
    let mut program = Program::start(client, &[&port.to_string()]);
    program.wait_for_line("the first chunk", |l| {
        l == format!("Task 1: got 9 bytes of poetry from 127.0.0.1:{port}")
    });
    server.reset();
    let (status, lines) = program.wait_for_exit(TIMEOUT);
    assert_eq!(status.code(), Some(1), "{}", program.report());
    let broken = format!("Task 1: download from 127.0.0.1:{port} failed after ");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&broken) && l.contains(": ConnectionLost: ")),
        "{lines:#?}"
    );
    assert!(
        lines.last().unwrap().starts_with("Got 0 poems in "),
        "{lines:#?}"
    );
    assert_eq!(
        program.stderr_lines(),
        [format!("1 of 1 downloads failed: 127.0.0.1:{port}")]
    );
}
