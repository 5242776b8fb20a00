//! SIGINT and SIGTERM stop a running server cleanly: its connections are closed, and the
//! process exits with status 0.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo test`, which builds the examples",
        path.display()
    );
    path
}

fn stops_on(signal: &str) {
    let mut child = Command::new(example("echo_server"))
        .args(["--port", "0", "--interface", "127.0.0.1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start echo_server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .expect("listening line");
    let mut server = Server(child);

    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    client.write_all(b"hi").unwrap();
    let mut echo = [0u8; 2];
    client.read_exact(&mut echo).unwrap();

    let status = Command::new("kill")
        .args([signal, &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let code = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "server did not exit on {signal}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(code.success(), "exit status on {signal}: {code:?}");
    let mut rest = Vec::new();
    assert_eq!(
        client.read_to_end(&mut rest).unwrap(),
        0,
        "the connection was closed"
    );
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    stops_on("-TERM");
}

#[test]
fn sigint_stops_the_server_cleanly() {
    stops_on("-INT");
}
