//! The built-in plugins over loopback: echo, qotd, chat, portforward (reverse has its
//! own tests), several `--listen` ports at once, and a user's own command built on
//! `torsion::cli::main` (the `my_command` example).

mod support;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;

use support::*;

fn start(args: &[&str]) -> Foreground {
    Foreground::start({
        let mut c = torsion();
        c.args(args);
        c
    })
}

fn stop(server: Foreground) -> Vec<String> {
    server.signal(libc::SIGTERM);
    let (status, lines, stderr) = server.finish();
    assert_eq!(status.code(), Some(0), "{lines:#?} {stderr}");
    lines
}

#[test]
fn echo_listens_on_every_description_given() {
    let dir = TempDir::new("echo");
    let socket = dir.join("echo.sock");
    let unix = format!("unix:{}", socket.display());
    let mut server = start(&[
        "echo",
        "--listen",
        "tcp:0:interface=127.0.0.1",
        "--listen",
        &unix,
    ]);
    let port = server.port();
    server.wait_for(&format!("listening on {}", socket.display()));

    let mut tcp = connect(port);
    tcp.write_all(b"over tcp").unwrap();
    let mut got = [0u8; 8];
    tcp.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"over tcp");

    let mut local = UnixStream::connect(&socket).unwrap();
    local.set_read_timeout(Some(PATIENCE)).unwrap();
    local.write_all(b"over unix").unwrap();
    let mut got = [0u8; 9];
    local.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"over unix");
    drop((tcp, local));
    stop(server);
}

#[test]
fn qotd_sends_its_quote_and_closes() {
    let mut server = start(&[
        "qotd",
        "--port",
        "0",
        "--quote",
        "Small steps still move you.",
    ]);
    let port = server.port();
    let mut client = connect(port);
    let quote = read_to_close(&mut client);
    assert_eq!(quote, b"Small steps still move you.\r\n");
    stop(server);
}

#[test]
fn chat_spreads_messages_to_the_other_clients() {
    let mut server = start(&["chat", "--port", "0"]);
    let port = server.port();
    let mut alice = connect(port);
    assert_eq!(read_line(&mut alice), "Welcome, you are client number 1!");
    let mut bob = connect(port);
    assert_eq!(read_line(&mut bob), "Welcome, you are client number 2!");
    server.wait_for("client 2 joined");
    alice.write_all(b"hello bob\n").unwrap();
    assert_eq!(read_line(&mut bob), "hello bob");
    bob.write_all(b"close\n").unwrap();
    assert!(read_to_close(&mut bob).is_empty());
    server.wait_for("client 2 left");
    drop(alice);
    server.wait_for("client 1 left");
    stop(server);
}

#[test]
fn portforward_carries_bytes_both_ways() {
    let mut echo = start(&["echo", "--listen", "tcp:0:interface=127.0.0.1"]);
    let echo_port = echo.port();
    let dest = format!("127.0.0.1:{echo_port}");
    let mut forward = start(&["portforward", "--port", "0", "--dest", &dest]);
    let port = forward.port();
    let mut client = connect(port);
    let payload: Vec<u8> = (0..256 * 1024u32).map(|i| (i % 251) as u8).collect();
    let writer = {
        let mut client = client.try_clone().unwrap();
        let payload = payload.clone();
        std::thread::spawn(move || client.write_all(&payload).unwrap())
    };
    let mut back = vec![0u8; payload.len()];
    client.read_exact(&mut back).unwrap();
    writer.join().unwrap();
    assert!(
        back == payload,
        "the bytes came back through the forwarder unchanged"
    );
    drop(client);
    stop(forward);
    stop(echo);

    let missing = run({
        let mut c = torsion();
        c.args(["portforward", "--port", "0"]);
        c
    });
    assert_eq!(missing.status.code(), Some(2), "--dest is required");
}

#[test]
fn a_users_own_command_runs_its_plugin_as_a_daemon() {
    let dir = TempDir::new("my-command");
    let help = run({
        let mut c = my_command();
        c.arg("--help");
        c
    });
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Usage: my_command [OPTIONS] PLUGIN"),
        "{help}"
    );
    assert!(
        help.contains("shout-back") && help.contains("reverse"),
        "{help}"
    );

    let pidfile = dir.join("shout.pid");
    let daemon = Daemon::start(
        {
            let mut c = my_command();
            c.current_dir(dir.path())
                .args(["-d", "--pidfile", "shout.pid", "--logfile", "shout.log"])
                .args(["shout-back", "--port", "0", "--upper"]);
            c
        },
        &pidfile,
    );
    let log = read(&dir.join("shout.log"));
    assert!(log.contains("[shout-back#info] listening on"), "{log}");
    let port = port_of(log.lines().find(|l| l.contains("listening on")).unwrap());
    let mut client = connect(port);
    assert_eq!(ask(&mut client, "hello world!"), "!DLROW OLLEH");
    client.write_all(b"quit\r\n").unwrap();
    assert!(read_to_close(&mut client).is_empty());
    daemon.stop();
    assert!(!pidfile.exists());
}
