//! End-to-end tests of the slow poetry server and both poetry clients, over loopback.

mod examples_util;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use examples_util::poetry::{
    check_poetry_client_with_a_broken_download, check_poetry_client_with_no_server, is_elapsed,
    parse_chunk_line, poem, poetry_server,
};
use examples_util::{connect, dead_port, poem_path, read_to_eof, Program, TIMEOUT};

const POEMS: [&str; 3] = ["lighthouse.txt", "kettle.txt", "index_cards.txt"];

#[test]
fn poetry_server_sends_the_whole_poem_in_chunks_to_each_client() {
    let (server, port) = poetry_server("kettle.txt", "10");
    let mut first = connect(port);
    let mut second = connect(port);
    let expected = poem("kettle.txt");
    assert_eq!(read_to_eof(&mut first), expected);
    assert_eq!(read_to_eof(&mut second), expected);
    let peer = first.local_addr().unwrap();
    server.wait_for_line("the last chunk", |l| {
        l == format!("Done sending poem to {peer}")
    });
    let lines = server.stdout_lines();
    let chunks: Vec<_> = lines
        .iter()
        .filter(|l| l.ends_with(&format!(" bytes of poetry to {peer}")))
        .collect();
    assert_eq!(chunks.len(), expected.len().div_ceil(10), "{chunks:#?}");
    assert!(
        chunks[..chunks.len() - 1]
            .iter()
            .all(|l| l.starts_with("Sending 10 bytes ")),
        "{chunks:#?}"
    );
    let last = format!(
        "Sending {} bytes of poetry to {peer}",
        (expected.len() - 1) % 10 + 1
    );
    assert_eq!(chunks.last().unwrap().as_str(), last);
}

/// Runs a poetry client against three servers and one dead port, and checks its report:
/// every poem, the dead server with the reason, and a failure status.
fn check_poetry_client(client: &str) {
    let servers: Vec<(Program, u16)> = POEMS
        .iter()
        .zip(["30", "10", "10"])
        .map(|(name, num_bytes)| poetry_server(name, num_bytes))
        .collect();
    let expected: BTreeMap<String, usize> = POEMS
        .iter()
        .zip(&servers)
        .map(|(name, (_, port))| (format!("127.0.0.1:{port}"), poem(name).len()))
        .collect();
    let dead = dead_port();
    let args = [
        servers[0].1.to_string(),
        dead.to_string(),
        servers[1].1.to_string(),
        format!("127.0.0.1:{}", servers[2].1),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut program = Program::start(client, &args);
    let (status, lines) = program.wait_for_exit(Duration::from_secs(60));
    assert_eq!(status.code(), Some(1), "{}", program.report());

    let failed = format!("Failed to connect to: 127.0.0.1:{dead}: ConnectionRefused: ");
    assert_eq!(
        lines.iter().filter(|l| l.starts_with(&failed)).count(),
        1,
        "{lines:#?}"
    );
    assert_eq!(
        program.stderr_lines(),
        [format!("1 of 4 downloads failed: 127.0.0.1:{dead}")]
    );

    let mut task_source: BTreeMap<usize, String> = BTreeMap::new();
    let mut received: BTreeMap<String, usize> = BTreeMap::new();
    for (task, bytes, from) in lines.iter().filter_map(|l| parse_chunk_line(l)) {
        let source = task_source.entry(task).or_insert_with(|| from.clone());
        assert_eq!(*source, from, "task {task} changed servers");
        *received.entry(from).or_default() += bytes;
    }
    assert_eq!(received, expected, "bytes received per server");
    assert_eq!(task_source.keys().copied().collect::<Vec<_>>(), [1, 2, 3]);

    let n = lines.len();
    assert!(n >= 4, "{lines:#?}");
    for (i, line) in lines[n - 4..n - 1].iter().enumerate() {
        let task = i + 1;
        let bytes = expected[&task_source[&task]];
        assert_eq!(
            *line,
            format!("Task {task}: {bytes} bytes of poetry"),
            "{lines:#?}"
        );
    }
    let elapsed = lines[n - 1]
        .strip_prefix("Got 3 poems in ")
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert!(is_elapsed(elapsed), "{elapsed:?}");
}

#[test]
fn poetry_client_v1_downloads_every_poem_and_fails_for_the_dead_server() {
    check_poetry_client("get_poetry_v1");
}

#[test]
fn poetry_client_v2_downloads_every_poem_and_fails_for_the_dead_server() {
    check_poetry_client("get_poetry_v2");
}

#[test]
fn poetry_client_v1_fails_when_no_server_can_be_reached() {
    check_poetry_client_with_no_server("get_poetry_v1");
}

#[test]
fn poetry_client_v2_fails_when_no_server_can_be_reached() {
    check_poetry_client_with_no_server("get_poetry_v2");
}

#[test]
fn poetry_client_v1_fails_when_a_download_breaks() {
    check_poetry_client_with_a_broken_download("get_poetry_v1");
}

#[test]
fn poetry_client_v2_fails_when_a_download_breaks() {
    check_poetry_client_with_a_broken_download("get_poetry_v2");
}

#[test]
fn poetry_server_names_a_poem_file_it_cannot_read_and_fails() {
    let missing = poem_path("no-such-poem.txt");
    let mut server = Program::start(
        "slow_poetry_server",
        &[missing.to_str().unwrap(), "--port", "0"],
    );
    let (status, lines) = server.wait_for_exit(TIMEOUT);
    assert_eq!(status.code(), Some(1), "{}", server.report());
    assert!(lines.is_empty(), "it never listens: {lines:#?}");
    let expected = format!(
        "slow_poetry_server: cannot read poem file '{}': No such file or directory",
        missing.display()
    );
    assert!(
        server
            .stderr_lines()
            .iter()
            .any(|l| l.starts_with(&expected)),
        "{}",
        server.report()
    );
}

/// The README's poetry commands name poems that are in the repository.
#[test]
fn readme_poetry_commands_name_poems_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let prefix = "crates/torsion/examples/poetry/";
    let poems: Vec<&str> = readme
        .match_indices(prefix)
        .map(|(at, _)| {
            let rest = &readme[at..];
            &rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())]
        })
        .collect();
    assert!(!poems.is_empty(), "the README names no poem");
    for poem in poems {
        assert!(
            root.join(poem).is_file(),
            "README names {poem}, which is missing"
        );
    }
}

#[test]
fn elapsed_format_check_accepts_only_timedeltas() {
    assert!(is_elapsed("0:00:10.134220"));
    assert!(is_elapsed("12:01:00.000001"));
    assert!(!is_elapsed("0:00:10"));
    assert!(!is_elapsed("0:0:10.134220"));
}
