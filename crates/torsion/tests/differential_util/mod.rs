//! What the differential tests share: finding real Twisted, starting a reference server on
//! it, random inputs cut into random chunks, and one exchange with a server.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::examples_util::{connect, Program};

/// The Python with Twisted importable: `TORSION_TWISTED_PYTHON`, or `.ci/run`'s `.venv`.
/// Without one the test is skipped with a message, except under CI, where it fails.
pub fn twisted_python() -> Option<PathBuf> {
    let candidate = match std::env::var_os("TORSION_TWISTED_PYTHON") {
        Some(python) => PathBuf::from(python),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"),
    };
    let works = Command::new(&candidate)
        .args(["-c", "import twisted"])
        .output()
        .is_ok_and(|out| out.status.success());
    if works {
        return Some(candidate);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "Twisted is missing: .ci/run installs it into .venv"
    );
    eprintln!("skipped: no Python with Twisted (run .ci/run, or set TORSION_TWISTED_PYTHON)");
    None
}

/// Starts `tests/twisted/SCRIPT` with `args` on `python`; returns it and its port.
pub fn start_twisted(python: &Path, script: &str, args: &[&str]) -> (Program, u16) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/twisted")
        .join(script);
    let mut command = vec![python.to_str().unwrap(), path.to_str().unwrap()];
    command.extend_from_slice(args);
    let program = Program::start_command(&format!("twisted {script}"), &command);
    let port = program.listening_port();
    (program, port)
}

/// A small deterministic generator (xorshift), so a failing case can be replayed from its
/// seed.
pub struct Random(pub u64);

impl Random {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Up to five sorted places to cut `len` bytes at.
    pub fn cuts(&mut self, len: usize) -> Vec<usize> {
        let mut cuts: Vec<usize> = (0..self.below(6)).map(|_| self.below(len)).collect();
        cuts.sort_unstable();
        cuts
    }
}

/// Sends `data` in the chunks `cuts` marks, each written on its own, and reads until the
/// server closes (it may close before all is sent: the rest is then not written).
///
/// A server that refuses a frame closes at once; a chunk the client wrote after the
/// refusal then reaches a closed socket, and the kernel answers it with a reset. The
/// replies sent before the close are still read first, so a reset counts as the end, for
/// Twisted's server and torsion's alike.
pub fn exchange(port: u16, data: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut stream: TcpStream = connect(port);
    stream.set_nodelay(true).unwrap();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&data.len())) {
        if stream.write_all(&data[start..cut]).is_err() {
            break;
        }
        start = cut;
    }
    let mut got = Vec::new();
    match stream.read_to_end(&mut got) {
        Ok(_) => got,
        Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => got,
        Err(err) => panic!("reading to EOF: {err} (got {got:?})"),
    }
}
