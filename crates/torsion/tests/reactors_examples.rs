//! End-to-end tests of the example servers run with `--reactors 2`: one reactor per thread,
//! all listening on one port with SO_REUSEPORT.

mod examples_util;

use std::io::Write;
use std::net::TcpStream;

use examples_util::{connect, read_line, read_n, Program, TIMEOUT};

/// Connections opened to see both reactors accept: the chance that the kernel gives all
/// of them to one reactor is 2^-(CONNECTIONS-1).
const CONNECTIONS: usize = 64;

/// A chat client and the reactor that serves it.
struct Member {
    stream: TcpStream,
    reactor: usize,
}

/// Connects a chat client, reads its welcome and finds on which reactor the server put it.
fn join(server: &Program, port: u16) -> Member {
    let mut stream = connect(port);
    let welcome = read_line(&mut stream);
    let number: usize = welcome
        .strip_prefix("Welcome, you are client number ")
        .and_then(|rest| rest.strip_suffix("!\n"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a welcome: {welcome:?}"));
    let prefix = format!("new connect: {number} on reactor ");
    let line = server.wait_for_line(&format!("the {prefix:?} line"), |l| l.starts_with(&prefix));
    let reactor = line[prefix.len()..]
        .parse()
        .unwrap_or_else(|_| panic!("no reactor index in {line:?}"));
    Member { stream, reactor }
}

#[test]
fn chat_with_two_reactors_forwards_across_reactors_and_never_to_the_sender() {
    let (server, port) = Program::start_server("chat_server", &["--reactors", "2"]);
    let mut members: Vec<Member> = Vec::new();
    while !(members.iter().any(|m| m.reactor == 0) && members.iter().any(|m| m.reactor == 1)) {
        assert!(
            members.len() < CONNECTIONS,
            "every client went to one reactor\n{}",
            server.report()
        );
        members.push(join(&server, port));
    }
    assert!(members.iter().all(|m| m.reactor < 2), "{}", server.report());
    let on_0 = members.iter().position(|m| m.reactor == 0).unwrap();
    let on_1 = members.iter().position(|m| m.reactor == 1).unwrap();

    // Every member reads exactly the messages of the others, in order: a message sent
    // back to its sender, or delivered twice, would show up as the next read's start.
    let rounds = [
        (on_0, "from reactor 0\n"),
        (on_1, "from reactor 1\n"),
        (on_0, "again from reactor 0\n"),
        (on_1, "again from reactor 1\n"),
    ];
    for (sender, text) in rounds {
        members[sender].stream.write_all(text.as_bytes()).unwrap();
        for (i, member) in members.iter_mut().enumerate() {
            if i != sender {
                let got = read_n(&mut member.stream, text.len());
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    text,
                    "member {i} on reactor {}\n{}",
                    member.reactor,
                    server.report()
                );
            }
        }
    }
}

#[test]
fn echo_with_two_reactors_spreads_connections_and_reports_them_on_sigint() {
    let (mut server, port) = Program::start_server(
        "echo_server",
        &[
            "--reactors",
            "2",
            "--report-spread",
            "--interface",
            "127.0.0.1",
        ],
    );
    let mut streams: Vec<TcpStream> = (0..CONNECTIONS).map(|_| connect(port)).collect();
    for (i, s) in streams.iter_mut().enumerate() {
        s.write_all(format!("message number {i}\n").as_bytes())
            .unwrap();
    }
    for (i, s) in streams.iter_mut().enumerate() {
        let expected = format!("message number {i}\n");
        assert_eq!(
            String::from_utf8(read_n(s, expected.len())).unwrap(),
            expected
        );
    }

    server.interrupt();
    let (status, lines) = server.wait_for_exit(TIMEOUT);
    assert!(status.success(), "{status}\n{}", server.report());
    let mut counts = [None, None];
    for line in &lines {
        let Some(rest) = line.strip_prefix("reactor ") else {
            continue;
        };
        let (index, n) = rest
            .strip_suffix(" connections")
            .and_then(|r| r.split_once(" accepted "))
            .and_then(|(i, n)| Some((i.parse::<usize>().ok()?, n.parse::<usize>().ok()?)))
            .unwrap_or_else(|| panic!("not a spread line: {line:?}"));
        assert!(index < 2, "{lines:#?}");
        assert!(counts[index].replace(n).is_none(), "twice: {lines:#?}");
    }
    let [Some(first), Some(second)] = counts else {
        panic!("a reactor did not report\n{lines:#?}");
    };
    assert_eq!(first + second, CONNECTIONS, "{lines:#?}");
    assert!(
        first > 0 && second > 0,
        "both reactors accepted: {lines:#?}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("listening on "))
            .count(),
        1,
        "{lines:#?}"
    );
}
