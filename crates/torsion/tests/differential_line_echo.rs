//! Differential test: `line_echo_server` beside the same server on real Twisted
//! (`tests/twisted/line_echo.py`), fed the same random inputs in the same random chunks
//! over loopback: the replies, byte for byte, and the close must be identical.
//!
//! Twisted comes from the virtualenv `.ci/run` makes (`.venv/`, or the Python named by
//! `TORSION_TWISTED_PYTHON`). Without it the test says so and passes, except under CI,
//! where a missing Twisted is a failure.

mod examples_util;

use std::io::Write;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;

use examples_util::{connect, read_to_eof, Program};

/// Cases per run: each is one connection to each server.
const CASES: usize = 150;

/// The Python with Twisted importable, if there is one.
fn twisted_python() -> Option<PathBuf> {
    let candidate = match std::env::var_os("TORSION_TWISTED_PYTHON") {
        Some(python) => PathBuf::from(python),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"),
    };
    let works = Command::new(&candidate)
        .args(["-c", "import twisted"])
        .output()
        .is_ok_and(|out| out.status.success());
    works.then_some(candidate)
}

/// A small deterministic generator (xorshift), so a failing case can be replayed from its
/// seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One input: lines of text, spaces, stray `\r` and lone `\n` (which stays inside a line),
/// bytes that are not ASCII, now and then a line past Twisted's 16,384-byte limit, and
/// `quit` at the end, so that both servers close.
fn input(random: &mut Random) -> Vec<u8> {
    const ALPHABET: &[u8] = b"abcdefghij  \r\n\xc3\xa9\xff0123";
    let mut data = Vec::new();
    for _ in 0..random.below(8) {
        if random.below(10) == 0 {
            // Around the limit, with no delimiter inside: 16,384 bytes is a line, 16,385
            // is too long.
            let len = 16_382 + random.below(5);
            data.extend((0..len).map(|i| b'a' + (i % 26) as u8));
        } else {
            let len = random.below(40);
            data.extend((0..len).map(|_| ALPHABET[random.below(ALPHABET.len())]));
        }
        data.extend_from_slice(b"\r\n");
    }
    if random.below(4) == 0 {
        data.extend_from_slice(b"quit\r\nafter quit\r\n");
    } else {
        data.extend_from_slice(b"quit\r\n");
    }
    data
}

/// Sends `data` in the chunks `cuts` marks, each written on its own, and reads until the
/// server closes.
fn exchange(port: u16, data: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut stream: TcpStream = connect(port);
    stream.set_nodelay(true).unwrap();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&data.len())) {
        // The server may close (quit, a line too long) before all is sent.
        if stream.write_all(&data[start..cut]).is_err() {
            break;
        }
        start = cut;
    }
    read_to_eof(&mut stream)
}

#[test]
fn line_echo_answers_as_twisted_does() {
    let Some(python) = twisted_python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Twisted is missing: .ci/run installs it into .venv"
        );
        eprintln!("skipped: no Python with Twisted (run .ci/run, or set TORSION_TWISTED_PYTHON)");
        return;
    };
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/twisted/line_echo.py");
    let twisted = Program::start_command(
        "twisted line_echo.py",
        &[python.to_str().unwrap(), script.to_str().unwrap()],
    );
    let twisted_port = twisted.listening_port();
    let (_torsion, torsion_port) = Program::start_server("line_echo_server", &[]);
    let seed = std::env::var("TORSION_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1e55_u64);
    let mut random = Random(seed);
    for case in 0..CASES {
        let data = input(&mut random);
        let mut cuts: Vec<usize> = (0..random.below(6))
            .map(|_| random.below(data.len()))
            .collect();
        cuts.sort_unstable();
        let expected = exchange(twisted_port, &data, &cuts);
        let got = exchange(torsion_port, &data, &cuts);
        assert!(
            got == expected,
            "case {case} (seed {seed:#x}) differs: input {:?} in chunks at {cuts:?}\n\
             twisted: {:?}\ntorsion: {:?}",
            String::from_utf8_lossy(&data),
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(&got),
        );
    }
}
