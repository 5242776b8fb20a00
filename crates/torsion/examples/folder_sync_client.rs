//! Folder sync client: connects to `folder_sync_server`, receives its tree into DIR
//! (created if missing), and prints `Synced N folders and M files (B bytes) into DIR`.
//!
//! It writes nothing outside DIR: a path that is absolute, has an empty, `.` or `..`
//! component, or goes through a symlink inside DIR is refused, as is a file that already
//! exists (existing folders are merged into; files are never overwritten). On a refused
//! path, a bad frame, a short file or a connection lost before `End`, it closes the
//! connection, says why on stderr and exits 1. File contents are written chunk by chunk
//! as they arrive. See `folder_sync_server.rs` for the frame format.
//!
//! ```text
//! cargo run --example folder_sync_server -- some/dir --port 8010
//! cargo run --example folder_sync_client -- received/dir 127.0.0.1 8010
//! ```

use std::cell::RefCell;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use clap::Parser;
use torsion::dispatch::DispatchError;
use torsion::error::ConnectionDone;
use torsion::protocols::basic::{LineCx, LineProtocol, LineReceiver};
use torsion::{ClientFactory, Connector, Failure, Reactor};

#[path = "support/logging.rs"]
mod logging;

/// Receives a folder tree from a `folder_sync_server` into DIR.
#[derive(Parser)]
struct Args {
    /// The folder to receive into (created if missing).
    dir: PathBuf,
    /// The server's host name or address.
    host: String,
    /// The server's port.
    port: u16,
}

/// What was received.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tally {
    folders: u64,
    files: u64,
    bytes: u64,
}

/// Why a relative path from the server is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
enum BadPath {
    Empty,
    Absolute,
    /// An empty, `.` or `..` component.
    Component(String),
    /// A NUL byte, which no path may hold.
    Nul,
}

impl fmt::Display for BadPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadPath::Empty => f.write_str("the path is empty"),
            BadPath::Absolute => f.write_str("the path is absolute"),
            BadPath::Component(c) => write!(f, "the path has a {c:?} component"),
            BadPath::Nul => f.write_str("the path holds a NUL byte"),
        }
    }
}

/// Splits `rel`, a path relative to DIR with `/` separators, into its components; refuses
/// one that is empty, absolute, holds a NUL, or has an empty, `.` or `..` component.
fn check_rel(rel: &str) -> Result<Vec<&str>, BadPath> {
    if rel.is_empty() {
        return Err(BadPath::Empty);
    }
    if rel.starts_with('/') {
        return Err(BadPath::Absolute);
    }
    if rel.contains('\0') {
        return Err(BadPath::Nul);
    }
    let parts: Vec<&str> = rel.split('/').collect();
    match parts.iter().find(|c| matches!(**c, "" | "." | "..")) {
        Some(bad) => Err(BadPath::Component(bad.to_string())),
        None => Ok(parts),
    }
}

/// Makes sure `dir` is a real folder (not a symlink), creating it if missing; returns
/// whether it was created.
fn ensure_folder(dir: &Path) -> io::Result<bool> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(false),
        Ok(meta) if meta.file_type().is_symlink() => Err(refused("is a symlink")),
        Ok(_) => Err(refused("exists and is not a folder")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => std::fs::create_dir(dir).map(|()| true),
        Err(e) => Err(e),
    }
}

fn refused(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, why)
}

/// Checks `rel` and makes sure every folder on the way to it under `root` is a real
/// folder (creating missing ones); returns the full path of `rel` itself.
fn safe_path(root: &Path, rel: &str) -> Result<PathBuf, String> {
    let parts = check_rel(rel).map_err(|e| format!("refused path {rel:?}: {e}"))?;
    let (last, parents) = parts.split_last().ok_or("refused empty path")?;
    let mut path = root.to_path_buf();
    for part in parents {
        path.push(part);
        ensure_folder(&path).map_err(|e| format!("refused path {rel:?}: {part:?} {e}"))?;
    }
    Ok(path.join(last))
}

/// The file being received.
struct Incoming {
    file: File,
    rel: String,
    size: u64,
    remaining: u64,
}

/// Where the receiver is in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    BeforeSync,
    Syncing,
    Ended,
    Failed,
}

/// How the sync ended, for `main`.
type Outcome = Rc<RefCell<Option<Result<Tally, String>>>>;

/// Receives the frames into `root`.
struct SyncReceiver {
    root: PathBuf,
    phase: Phase,
    incoming: Option<Incoming>,
    tally: Tally,
    outcome: Outcome,
}

impl SyncReceiver {
    torsion::commands! {
        /// Runs one frame line.
        fn run_line(&mut self, cx: &mut LineCx<'_, Self>, line);
        "Sync" => sync(),
        "Folder" => folder(rel: &str),
        "File" => file(size: u64, rel: &str),
        "End" => end(),
        _ => bad_frame,
    }

    fn new(root: PathBuf, outcome: Outcome) -> SyncReceiver {
        SyncReceiver {
            root,
            phase: Phase::BeforeSync,
            incoming: None,
            tally: Tally::default(),
            outcome,
        }
    }

    fn sync(&mut self, cx: &mut LineCx<'_, Self>) {
        if self.phase != Phase::BeforeSync {
            return self.fail(cx, "Sync received twice".into());
        }
        self.phase = Phase::Syncing;
    }

    fn folder(&mut self, cx: &mut LineCx<'_, Self>, rel: &str) {
        if !self.expect_syncing(cx, "Folder") {
            return;
        }
        let created = safe_path(&self.root, rel).and_then(|path| {
            ensure_folder(&path).map_err(|e| format!("cannot create folder {rel:?}: {e}"))
        });
        match created {
            Ok(_) => self.tally.folders += 1,
            Err(why) => self.fail(cx, why),
        }
    }

    fn file(&mut self, cx: &mut LineCx<'_, Self>, size: u64, rel: &str) {
        if !self.expect_syncing(cx, "File") {
            return;
        }
        let opened = safe_path(&self.root, rel).and_then(|path| {
            // `create_new` neither overwrites a file nor follows a symlink at `path`.
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(|e| format!("cannot create file {rel:?}: {e}"))
        });
        let file = match opened {
            Ok(file) => file,
            Err(why) => return self.fail(cx, why),
        };
        self.tally.files += 1;
        if size > 0 {
            self.incoming = Some(Incoming {
                file,
                rel: rel.to_string(),
                size,
                remaining: size,
            });
            cx.set_raw_mode();
        }
    }

    fn end(&mut self, cx: &mut LineCx<'_, Self>) {
        if self.expect_syncing(cx, "End") {
            self.phase = Phase::Ended;
        }
    }

    fn bad_frame(&mut self, cx: &mut LineCx<'_, Self>, line: &str, error: DispatchError) {
        self.fail(cx, format!("bad frame {line:?}: {error}"));
    }

    /// Whether a `what` frame may come now; fails the sync if not.
    fn expect_syncing(&mut self, cx: &mut LineCx<'_, Self>, what: &str) -> bool {
        let why = match self.phase {
            Phase::Syncing => return true,
            Phase::BeforeSync => format!("{what} before Sync"),
            Phase::Ended => format!("{what} after End"),
            Phase::Failed => return false,
        };
        self.fail(cx, why);
        false
    }

    /// Writes the next piece of the incoming file; returns how much of `data` it used.
    fn write_content(&mut self, data: &[u8]) -> Result<usize, String> {
        let Some(incoming) = self.incoming.as_mut() else {
            return Ok(0);
        };
        let take = data
            .len()
            .min(usize::try_from(incoming.remaining).unwrap_or(usize::MAX));
        incoming
            .file
            .write_all(&data[..take])
            .map_err(|e| format!("cannot write file {:?}: {e}", incoming.rel))?;
        incoming.remaining -= take as u64;
        self.tally.bytes += take as u64;
        if incoming.remaining == 0 {
            self.incoming = None;
        }
        Ok(take)
    }

    /// Records why the sync failed (the first reason only) and closes the connection.
    fn fail(&mut self, cx: &mut LineCx<'_, Self>, why: String) {
        if self.phase != Phase::Failed {
            self.phase = Phase::Failed;
            self.incoming = None;
            *self.outcome.borrow_mut() = Some(Err(why));
        }
        cx.transport().abort_connection();
    }

    /// Why the sync is incomplete when the connection is lost with `reason`, if it is.
    fn problem_at_close(&self, reason: &Failure) -> Option<String> {
        if let Some(incoming) = &self.incoming {
            return Some(format!(
                "the connection closed after {} of the {} bytes of file {:?}",
                incoming.size - incoming.remaining,
                incoming.size,
                incoming.rel
            ));
        }
        if self.phase != Phase::Ended {
            return Some(format!("the connection closed before End: {reason}"));
        }
        (!reason.check::<ConnectionDone>())
            .then(|| format!("the connection was not closed cleanly: {reason}"))
    }
}

impl LineReceiver for SyncReceiver {
    fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        match std::str::from_utf8(line) {
            Ok(line) => self.run_line(cx, line),
            Err(_) => self.fail(cx, format!("bad frame (not UTF-8): {line:?}")),
        }
    }

    fn raw_data_received(&mut self, cx: &mut LineCx<'_, Self>, data: &[u8]) {
        match self.write_content(data) {
            Ok(used) if self.incoming.is_none() => cx.set_line_mode(&data[used..]),
            Ok(_) => {}
            Err(why) => self.fail(cx, why),
        }
    }

    fn line_length_exceeded(&mut self, cx: &mut LineCx<'_, Self>, _line: &[u8]) {
        self.fail(cx, "bad frame: a line is too long".into());
    }

    fn connection_lost(&mut self, _cx: &mut LineCx<'_, Self>, reason: &Failure) {
        if self.phase == Phase::Failed {
            return;
        }
        let outcome = match self.problem_at_close(reason) {
            Some(why) => Err(why),
            None => Ok(self.tally),
        };
        *self.outcome.borrow_mut() = Some(outcome);
    }
}

/// Builds the one connection and stops the reactor when it fails or ends.
struct SyncClientFactory {
    receiver: Option<SyncReceiver>,
    outcome: Outcome,
    reactor: Reactor,
}

impl ClientFactory for SyncClientFactory {
    type Protocol = LineProtocol<SyncReceiver>;

    fn build_protocol(&mut self, _addr: torsion::Address) -> Option<Self::Protocol> {
        self.receiver.take().map(LineProtocol::new)
    }

    fn client_connection_lost(&mut self, _connector: &Connector, _reason: &Failure) {
        self.reactor.stop();
    }

    fn client_connection_failed(&mut self, _connector: &Connector, reason: &Failure) {
        *self.outcome.borrow_mut() = Some(Err(format!("cannot connect: {reason}")));
        self.reactor.stop();
    }
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    if let Err(e) = std::fs::create_dir_all(&args.dir) {
        eprintln!(
            "folder_sync_client: cannot create {}: {e}",
            args.dir.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    let reactor = Reactor::new()?;
    let outcome = Outcome::default();
    let factory = SyncClientFactory {
        receiver: Some(SyncReceiver::new(args.dir.clone(), outcome.clone())),
        outcome: outcome.clone(),
        reactor: reactor.clone(),
    };
    reactor.connect_tcp(&args.host, args.port, factory);
    reactor.run()?;
    let result = outcome
        .borrow_mut()
        .take()
        .unwrap_or(Err("the reactor stopped".into()));
    Ok(report(&args.dir, result))
}

/// Prints the summary or why the sync failed; gives the exit status.
fn report(dir: &Path, result: Result<Tally, String>) -> ExitCode {
    match result {
        Ok(t) => {
            println!(
                "Synced {} folders and {} files ({} bytes) into {}",
                t.folders,
                t.files,
                t.bytes,
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("folder_sync_client: {why}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_rel_accepts_plain_relative_paths() {
        assert_eq!(check_rel("a"), Ok(vec!["a"]));
        assert_eq!(check_rel("a b/ü/c.txt"), Ok(vec!["a b", "ü", "c.txt"]));
        assert_eq!(check_rel("..a/b.."), Ok(vec!["..a", "b.."]));
    }

    #[test]
    fn check_rel_refuses_paths_that_could_leave_the_folder() {
        assert_eq!(check_rel(""), Err(BadPath::Empty));
        assert_eq!(check_rel("/abs"), Err(BadPath::Absolute));
        assert_eq!(check_rel("a\0b"), Err(BadPath::Nul));
        for (rel, bad) in [
            ("..", ".."),
            ("../evil", ".."),
            ("a/../../b", ".."),
            ("./a", "."),
            ("a//b", ""),
            ("a/", ""),
        ] {
            assert_eq!(check_rel(rel), Err(BadPath::Component(bad.into())), "{rel}");
        }
    }

    #[test]
    fn safe_path_refuses_a_symlinked_folder() {
        let root = std::env::temp_dir().join(format!("folder_sync_unit_{}", std::process::id()));
        let outside = root.with_extension("outside");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
        let refused = safe_path(&root, "link/file");
        let created = safe_path(&root, "new/file");
        std::fs::remove_dir_all(&root).unwrap();
        std::fs::remove_dir_all(&outside).unwrap();
        assert!(refused.unwrap_err().contains("symlink"));
        assert_eq!(created, Ok(root.join("new").join("file")));
    }
}
