//! `torsion` in the foreground (Twisted's `twist`): help, the plugin list, the exit
//! codes, the log formats.

mod support;

use std::os::unix::net::UnixDatagram;

use support::*;

#[test]
fn help_lists_every_plugin_with_a_line_and_plugin_help_shows_its_options() {
    let help = run({
        let mut c = torsion();
        c.arg("--help");
        c
    });
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("Usage: torsion [OPTIONS] PLUGIN [PLUGIN OPTIONS]"),
        "{text}"
    );
    for (name, about) in [
        ("echo", "Sends back what each client sends"),
        ("qotd", "Sends each client a quote"),
        (
            "chat",
            "Sends what each client writes to every other client",
        ),
        ("reverse", "Sends each line back reversed"),
        ("portforward", "Forwards each connection"),
    ] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .expect(name);
        assert!(line.contains(about), "{line}");
    }
    let listed = run({
        let mut c = torsion();
        c.arg("plugins");
        c
    });
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert_eq!(listed.lines().count(), 5, "{listed}");

    let reverse = run({
        let mut c = torsion();
        c.args(["reverse", "--help"]);
        c
    });
    let text = String::from_utf8_lossy(&reverse.stdout);
    assert!(text.contains("port 2323 by default"), "{text}");
    assert!(text.contains("--port <PORT>"), "{text}");
    assert!(text.contains("--listen <DESCRIPTION>"), "{text}");
}

#[test]
fn a_bad_command_line_exits_2_and_a_taken_port_exits_1_with_the_reason() {
    let unknown = run({
        let mut c = torsion();
        c.arg("no-such-plugin");
        c
    });
    assert_eq!(unknown.status.code(), Some(2));
    let bad_value = run({
        let mut c = torsion();
        c.args(["--grace-period", "soon", "reverse"]);
        c
    });
    assert_eq!(bad_value.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_value.stderr).contains("not a number of seconds"));

    let taken = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let refused = run({
        let mut c = torsion();
        c.args(["echo", "--port", &port]);
        c
    });
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains(&format!("torsion: cannot listen on tcp:{port}: ")),
        "{stderr}"
    );

    let bad_description = run({
        let mut c = torsion();
        c.args(["echo", "--listen", "tcp:http"]);
        c
    });
    assert_eq!(bad_description.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad_description.stderr).contains("torsion: echo: "));
}

#[test]
fn the_foreground_reverse_server_logs_to_stdout_and_exits_0_on_sigterm() {
    let mut server = Foreground::start({
        let mut c = torsion();
        c.args(["reverse", "--port", "0"]);
        c
    });
    let port = server.port();
    let mut client = connect(port);
    assert_eq!(ask(&mut client, "hello world!"), "!dlrow olleh");
    assert_eq!(ask(&mut client, "naïve"), "evïan");
    server.wait_for("[reverse#info] connection from 127.0.0.1:");
    drop(client);
    server.wait_for("closed: ");
    server.signal(libc::SIGTERM);
    let (status, lines, _) = server.finish();
    assert_eq!(status.code(), Some(0), "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("[reverse#info] reverse stopped")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("listening on 0.0.0.0:")),
        "the plain line, as the examples print it: {lines:#?}"
    );
    let text_line = lines.iter().find(|l| l.contains("#info]")).unwrap();
    // 2026-11-24T10:00:00+0000 [reverse#info] ...
    assert_eq!(&text_line[10..11], "T", "{text_line}");
    assert!(
        text_line[19..].starts_with('+') || text_line[19..].starts_with('-'),
        "{text_line}"
    );
}

#[test]
fn json_logs_are_one_object_per_line() {
    let mut server = Foreground::start({
        let mut c = torsion();
        c.args([
            "--log-format",
            "json",
            "echo",
            "--listen",
            "tcp:0:interface=127.0.0.1",
        ]);
        c
    });
    let port = server.port();
    let mut client = connect(port);
    std::io::Write::write_all(&mut client, b"ping").unwrap();
    server.wait_for("connection from");
    drop(client);
    server.signal(libc::SIGINT);
    let (status, lines, _) = server.finish();
    assert!(status.success());
    // Standard output is the JSON log and nothing else.
    let logs: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let connection = logs
        .iter()
        .find(|v| {
            v["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("connection from 127.0.0.1:"))
        })
        .expect("the connection line");
    assert_eq!(connection["level"], "info");
    assert_eq!(connection["system"], "echo");
    assert!(logs
        .iter()
        .any(|v| v["message"].as_str().is_some_and(|m| m.contains("SIGINT"))));
}

#[test]
fn syslog_gets_one_datagram_per_event_with_the_facility() {
    let dir = TempDir::new("syslog");
    let socket_path = dir.join("log.sock");
    let syslog = UnixDatagram::bind(&socket_path).unwrap();
    syslog.set_read_timeout(Some(PATIENCE)).unwrap();
    let server = Foreground::start({
        let mut c = torsion();
        c.args(["--syslog", "--syslog-socket"])
            .arg(&socket_path)
            .args(["--syslog-facility", "local3", "qotd", "--port", "0"]);
        c
    });
    let mut buf = [0u8; 2048];
    let datagram = loop {
        let n = syslog.recv(&mut buf).expect("a datagram");
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        if text.contains("listening on") {
            break text;
        }
    };
    // local3 = 19, info = 6: 19 * 8 + 6 = 158.
    assert!(datagram.starts_with("<158>"), "{datagram}");
    assert!(datagram.contains("torsion["), "{datagram}");
    server.signal(libc::SIGTERM);
    let (status, lines, stderr) = server.finish();
    assert!(status.success(), "{status:?} {lines:#?} {stderr}");
}
