//! End-to-end tests of the folder sync examples, over loopback: a real tree arrives
//! byte-identical, and a malicious server cannot make the client write outside its folder.

mod examples_util;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use examples_util::Program;

/// A fresh folder under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "torsion_folder_sync_{}_{n}_{what}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write(path: PathBuf, data: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

/// Bytes that repeat with a period prime to any chunk size, so a shifted or repeated chunk
/// shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Builds the tree the transfer test sends.
fn make_tree(root: &Path) {
    write(root.join("top.txt"), b"top level\r\nwith a CRLF inside\r\n");
    write(root.join("a/b/c/deep.txt"), b"deep");
    write(root.join("a/empty file"), b"");
    write(root.join("with spaces/name with spaces.txt"), b"spaces");
    write(root.join("ünïcødé/日本語.txt"), "ünïcødé".as_bytes());
    write(root.join("big/patterned.bin"), &pattern(5 * 1024 * 1024));
    std::fs::create_dir_all(root.join("empty folder")).unwrap();
    std::fs::create_dir_all(root.join("a/b/empty")).unwrap();
}

/// Asserts that the trees under `a` and `b` hold the same names, kinds and contents.
fn assert_same_tree(a: &Path, b: &Path) {
    let names = |dir: &Path| {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(a), names(b), "entries of {}", b.display());
    for name in names(a) {
        let (pa, pb) = (a.join(&name), b.join(&name));
        let kind = |p: &Path| std::fs::symlink_metadata(p).unwrap().file_type();
        assert_eq!(kind(&pa), kind(&pb), "kind of {}", pb.display());
        if kind(&pa).is_dir() {
            assert_same_tree(&pa, &pb);
        } else {
            let same = std::fs::read(&pa).unwrap() == std::fs::read(&pb).unwrap();
            assert!(same, "contents of {} differ", pb.display());
        }
    }
}

fn run_client(dest: &Path, port: u16) -> (bool, Vec<String>, Vec<String>) {
    let dest = dest.to_str().unwrap();
    let mut client = Program::start(
        "folder_sync_client",
        &[dest, "127.0.0.1", &port.to_string()],
    );
    let (status, stdout) = client.wait_for_exit(Duration::from_secs(60));
    (status.success(), stdout, client.stderr_lines())
}

#[test]
fn a_tree_arrives_byte_identical() {
    let source = TempDir::new("source");
    let dest = TempDir::new("dest");
    make_tree(&source.0);
    let received = dest.0.join("received");
    let (_server, port) = Program::start_server(
        "folder_sync_server",
        &[source.0.to_str().unwrap(), "--interface", "127.0.0.1"],
    );
    let (ok, stdout, stderr) = run_client(&received, port);
    assert!(ok, "client failed: {stdout:?} {stderr:?}");
    assert_same_tree(&source.0, &received);
    let summary = format!(
        "Synced 8 folders and 6 files ({} bytes) into {}",
        5 * 1024 * 1024 + 31 + 4 + 6 + "ünïcødé".len(),
        received.display()
    );
    assert_eq!(stdout, [summary]);
}

#[test]
fn the_server_skips_symlinks() {
    let source = TempDir::new("links_source");
    let dest = TempDir::new("links_dest");
    write(source.0.join("real.txt"), b"real");
    std::os::unix::fs::symlink("/etc", source.0.join("link")).unwrap();
    let (server, port) = Program::start_server("folder_sync_server", &[source.0.to_str().unwrap()]);
    let (ok, stdout, stderr) = run_client(&dest.0, port);
    assert!(ok, "client failed: {stdout:?} {stderr:?}");
    assert!(!dest.0.join("link").exists());
    assert_eq!(std::fs::read(dest.0.join("real.txt")).unwrap(), b"real");
    server.wait_for_stderr_line("a warning about the symlink", |l| l.contains("symlink"));
}

/// A fake server on 127.0.0.1 that writes `frames` to the first client, then closes.
fn fake_server(frames: &'static [u8]) -> (u16, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let thread = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        // The client may close first; what it got is what matters.
        let _ = stream.write_all(frames);
    });
    (port, thread)
}

/// Runs the client against a fake server sending `frames`; asserts it fails naming
/// `named`, and that its parent folder holds nothing but DIR.
fn assert_refused(frames: &'static [u8], named: &str) {
    let parent = TempDir::new("refused");
    let dest = parent.0.join("dest");
    let (port, server) = fake_server(frames);
    let (ok, stdout, stderr) = run_client(&dest, port);
    server.join().unwrap();
    assert!(!ok, "client succeeded: {stdout:?}");
    assert!(
        stderr.iter().any(|l| l.contains(named)),
        "no error naming {named:?}: {stderr:?}"
    );
    let outside: Vec<_> = std::fs::read_dir(&parent.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside, ["dest"]);
}

#[test]
fn the_client_refuses_a_parent_path() {
    assert_refused(b"Sync\r\nFile 3 ../evil\r\nbad", "\"../evil\"");
}

#[test]
fn the_client_refuses_an_absolute_path() {
    assert_refused(
        b"Sync\r\nFolder /tmp/torsion_folder_sync_abs\r\nEnd\r\n",
        "\"/tmp/torsion_folder_sync_abs\"",
    );
    assert!(!Path::new("/tmp/torsion_folder_sync_abs").exists());
}

#[test]
fn the_client_refuses_a_short_file() {
    assert_refused(b"Sync\r\nFile 10 short\r\nabc", "3 of the 10 bytes");
}

#[test]
fn the_client_refuses_a_missing_end() {
    assert_refused(b"Sync\r\nFolder a\r\n", "before End");
}

#[test]
fn the_client_refuses_to_go_through_a_symlink_in_its_folder() {
    let dest = TempDir::new("symlinked_dest");
    let outside = TempDir::new("symlink_target");
    std::os::unix::fs::symlink(&outside.0, dest.0.join("link")).unwrap();
    let (port, server) = fake_server(b"Sync\r\nFolder link/sub\r\nFile 1 link/f\r\nx");
    let (ok, _, stderr) = run_client(&dest.0, port);
    server.join().unwrap();
    assert!(!ok);
    assert!(
        stderr
            .iter()
            .any(|l| l.contains("\"link/sub\"") && l.contains("symlink")),
        "{stderr:?}"
    );
    assert_eq!(std::fs::read_dir(&outside.0).unwrap().count(), 0);
}

#[test]
fn the_client_does_not_overwrite_an_existing_file() {
    let dest = TempDir::new("existing_dest");
    write(dest.0.join("kept.txt"), b"mine");
    let (port, server) = fake_server(b"Sync\r\nFile 6 kept.txt\r\ntheirs\r\nEnd\r\n");
    let (ok, _, stderr) = run_client(&dest.0, port);
    server.join().unwrap();
    assert!(!ok);
    assert!(
        stderr.iter().any(|l| l.contains("\"kept.txt\"")),
        "{stderr:?}"
    );
    assert_eq!(std::fs::read(dest.0.join("kept.txt")).unwrap(), b"mine");
}
