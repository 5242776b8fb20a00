//! Differential test: `line_echo_server` beside the same server on real Twisted
//! (`tests/twisted/line_echo.py`), fed the same random inputs in the same random chunks
//! over loopback: the replies, byte for byte, and the close must be identical.
//!
//! Twisted comes from the virtualenv `.ci/run` makes (`.venv/`, or the Python named by
//! `TORSION_TWISTED_PYTHON`). Without it the test says so and passes, except under CI,
//! where a missing Twisted is a failure.

mod differential_util;
mod examples_util;

use differential_util::{exchange, start_twisted, twisted_python, Random};
use examples_util::Program;

/// Cases per run: each is one connection to each server.
const CASES: usize = 150;

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

#[test]
fn line_echo_answers_as_twisted_does() {
    let Some(python) = twisted_python() else {
        return;
    };
    let (_twisted, twisted_port) = start_twisted(&python, "line_echo.py", &[]);
    let (_torsion, torsion_port) = Program::start_server("line_echo_server", &[]);
    let seed = std::env::var("TORSION_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1e55_u64);
    let mut random = Random(seed);
    for case in 0..CASES {
        let data = input(&mut random);
        let cuts = random.cuts(data.len());
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
