//! End-to-end tests of the Deferred and endpoint seed programs, over loopback: the
//! connection tester, the Deferred and `async` poetry clients, and the servers' `--listen`
//! option.

mod examples_util;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{Shutdown, TcpListener};
use std::time::Duration;

use examples_util::poetry::{
    check_poetry_client_with_a_broken_download, check_poetry_client_with_no_server, is_elapsed,
    parse_chunk_line, poem, poetry_server,
};
use examples_util::{connect, dead_port, poem_path, read_to_eof, Program, TIMEOUT};

#[test]
fn connection_tester_reports_a_port_that_accepts() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut tester = Program::start("connection_tester", &["127.0.0.1", &port.to_string()]);
    let (status, lines) = tester.wait_for_exit(TIMEOUT);
    assert_eq!(status.code(), Some(0), "{}", tester.report());
    assert_eq!(lines, [format!("Connected to port {port}")]);
}

#[test]
fn connection_tester_reports_a_refused_port_and_fails() {
    let port = dead_port();
    let mut tester = Program::start("connection_tester", &["127.0.0.1", &port.to_string()]);
    let (status, lines) = tester.wait_for_exit(TIMEOUT);
    assert_eq!(status.code(), Some(1), "{}", tester.report());
    assert_eq!(
        lines,
        [format!(
            "Error connecting to port {port}: Connection was refused by other side: 111: \
             Connection refused."
        )]
    );
}

/// What a poetry client downloads from: a slow poetry server serving `poem`, or, for no
/// poem, a dead port.
struct PoetryServer {
    poem: Option<&'static str>,
    address: String,
    _program: Option<Program>,
}

impl PoetryServer {
    fn start(poem: Option<&'static str>) -> PoetryServer {
        let (program, port) = match poem {
            Some(name) => {
                let (program, port) = poetry_server(name, "10");
                (Some(program), port)
            }
            None => (None, dead_port()),
        };
        PoetryServer {
            poem,
            address: format!("127.0.0.1:{port}"),
            _program: program,
        }
    }
}

/// The server and the bytes received of each task, from the progress lines (`Task N: got X
/// bytes of poetry from HOST:PORT`).
fn received_per_task(lines: &[String]) -> BTreeMap<usize, (String, usize)> {
    let mut received: BTreeMap<usize, (String, usize)> = BTreeMap::new();
    for (task, bytes, from) in lines.iter().filter_map(|l| parse_chunk_line(l)) {
        let entry = received.entry(task).or_insert_with(|| (from.clone(), 0));
        assert_eq!(entry.0, from, "task {task} changed servers: {lines:#?}");
        entry.1 += bytes;
    }
    received
}

/// Checks a poetry client of the Deferred era against servers for `poems` (`None` for a
/// dead port): task N downloads from the Nth server; each live server's whole poem arrives
/// and is summed up at the end; each dead server is reported, and fails the client.
fn check_poetry_client(client: &str, poems: &[Option<&'static str>]) {
    let servers: Vec<PoetryServer> = poems.iter().map(|&p| PoetryServer::start(p)).collect();
    let args: Vec<&str> = servers.iter().map(|s| s.address.as_str()).collect();
    let mut program = Program::start(client, &args);
    let (status, lines) = program.wait_for_exit(Duration::from_secs(60));

    let received = received_per_task(&lines);
    let mut summary = Vec::new();
    let mut failed = Vec::new();
    for (task, server) in (1..).zip(&servers) {
        match server.poem {
            Some(name) => {
                let bytes = poem(name).len();
                let expected = (server.address.clone(), bytes);
                assert_eq!(received.get(&task), Some(&expected), "{lines:#?}");
                summary.push(format!("Task {task}: {bytes} bytes of poetry"));
            }
            None => {
                assert!(!received.contains_key(&task), "{lines:#?}");
                let refused = format!(
                    "Failed to connect to: {}: ConnectionRefused: ",
                    server.address
                );
                let reported = lines.iter().filter(|l| l.starts_with(&refused)).count();
                assert_eq!(reported, 1, "{lines:#?}");
                failed.push(server.address.as_str());
            }
        }
    }

    let (last, rest) = lines.split_last().expect("a summary");
    assert!(rest.ends_with(&summary), "{lines:#?}");
    let elapsed = last
        .strip_prefix(&format!("Got {} poems in ", summary.len()))
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert!(is_elapsed(elapsed), "{elapsed:?}");
    if failed.is_empty() {
        assert_eq!(status.code(), Some(0), "{}", program.report());
        assert!(program.stderr_lines().is_empty(), "{}", program.report());
    } else {
        assert_eq!(status.code(), Some(1), "{}", program.report());
        let why = format!(
            "{} of {} downloads failed: {}",
            failed.len(),
            servers.len(),
            failed.join(", ")
        );
        assert_eq!(program.stderr_lines(), [why]);
    }
}

/// Two live servers with a dead one between them.
const TWO_AND_A_DEAD_ONE: [Option<&str>; 3] = [Some("lighthouse.txt"), None, Some("kettle.txt")];

/// Every server up.
const ALL_UP: [Option<&str>; 2] = [Some("kettle.txt"), Some("index_cards.txt")];

#[test]
fn poetry_client_v3_downloads_from_the_live_servers_and_fails_for_the_dead_one() {
    check_poetry_client("get_poetry_v3", &TWO_AND_A_DEAD_ONE);
}

#[test]
fn poetry_client_v3_succeeds_when_every_server_is_up() {
    check_poetry_client("get_poetry_v3", &ALL_UP);
}

#[test]
fn poetry_client_v3_fails_when_no_server_can_be_reached() {
    check_poetry_client_with_no_server("get_poetry_v3");
}

#[test]
fn poetry_client_v3_fails_when_a_download_breaks() {
    check_poetry_client_with_a_broken_download("get_poetry_v3");
}

#[test]
fn poetry_client_async_downloads_from_the_live_servers_and_fails_for_the_dead_one() {
    check_poetry_client("get_poetry_async", &TWO_AND_A_DEAD_ONE);
}

#[test]
fn poetry_client_async_succeeds_when_every_server_is_up() {
    check_poetry_client("get_poetry_async", &ALL_UP);
}

#[test]
fn poetry_client_async_fails_when_no_server_can_be_reached() {
    check_poetry_client_with_no_server("get_poetry_async");
}

#[test]
fn poetry_client_async_fails_when_a_download_breaks() {
    check_poetry_client_with_a_broken_download("get_poetry_async");
}

#[test]
fn echo_server_listens_where_the_description_says() {
    let server = Program::start("echo_server", &["--listen", "tcp:0:interface=127.0.0.1"]);
    let port = server.listening_port();
    server.wait_for_line("the interface", |l| {
        l == format!("listening on 127.0.0.1:{port}")
    });
    let mut stream = connect(port);
    stream.write_all(b"described, then echoed").unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_eof(&mut stream), b"described, then echoed");
}

/// Each server with what it needs besides where to listen.
fn servers() -> Vec<(&'static str, Vec<String>)> {
    let poem = poem_path("kettle.txt").to_str().unwrap().to_string();
    vec![
        ("echo_server", vec![]),
        ("qotd_server", vec![]),
        ("limited_echo_server", vec![]),
        ("chat_server", vec![]),
        ("slow_poetry_server", vec![poem]),
    ]
}

#[test]
fn every_server_names_the_bad_part_of_a_listen_description_and_fails() {
    for (name, args) in servers() {
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.extend(["--listen", "tcp:80x"]);
        let mut server = Program::start(name, &all);
        let (status, lines) = server.wait_for_exit(TIMEOUT);
        assert_eq!(status.code(), Some(1), "{}", server.report());
        assert!(lines.is_empty(), "{name} never listens: {lines:#?}");
        assert_eq!(
            server.stderr_lines(),
            [format!(
                r#"{name}: port "80x" in "tcp:80x" is not a number"#
            )]
        );
    }
}

#[test]
fn every_server_refuses_listen_with_port_and_several_reactors() {
    let mut cases: Vec<(&str, Vec<String>, &str)> = servers()
        .into_iter()
        .map(|(name, args)| (name, args, "--port"))
        .collect();
    cases.push(("echo_server", vec![], "--reactors"));
    cases.push(("chat_server", vec![], "--reactors"));
    for (name, args, other) in cases {
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.extend(["--listen", "tcp:0", other, "2"]);
        let mut server = Program::start(name, &all);
        let (status, lines) = server.wait_for_exit(TIMEOUT);
        assert_eq!(status.code(), Some(2), "{}", server.report());
        assert!(lines.is_empty(), "{name} never listens: {lines:#?}");
        let expected = format!("cannot be used with '{other} ");
        assert!(
            server.stderr_lines().iter().any(|l| l.contains(&expected)),
            "{name} {other}: {}",
            server.report()
        );
    }
}

#[test]
fn port_scanner_lists_the_open_ports_of_a_range_in_order() {
    // Two listeners, and the range around them: whatever else is open in it (other
    // tests' servers) is listed too, so the check is on these two and on the order.
    let first = TcpListener::bind("127.0.0.1:0").unwrap();
    let second = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut open = [
        first.local_addr().unwrap().port(),
        second.local_addr().unwrap().port(),
    ];
    open.sort_unstable();
    let range = format!(
        "{}-{}",
        open[0].saturating_sub(3).max(1),
        open[1].saturating_add(3)
    );
    let mut scanner = Program::start(
        "port_scanner",
        &["127.0.0.1", "--ports", &range, "--concurrency", "8"],
    );
    let (status, lines) = scanner.wait_for_exit(TIMEOUT);
    assert_eq!(status.code(), Some(0), "{}", scanner.report());
    let ports: Vec<u16> = lines
        .iter()
        .map(|l| {
            l.strip_prefix("Connected to port ")
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("unexpected line {l:?}"))
        })
        .collect();
    assert!(
        ports.windows(2).all(|w| w[0] < w[1]),
        "port order: {ports:?}"
    );
    for port in open {
        assert!(ports.contains(&port), "{port} in {ports:?}");
    }
}

#[test]
fn port_scanner_rejects_a_bad_range() {
    let mut scanner = Program::start("port_scanner", &["127.0.0.1", "--ports", "90-80"]);
    let (status, _lines) = scanner.wait_for_exit(TIMEOUT);
    assert_eq!(status.code(), Some(2), "{}", scanner.report());
    assert!(
        scanner.report().contains("is not a range of ports"),
        "{}",
        scanner.report()
    );
}
