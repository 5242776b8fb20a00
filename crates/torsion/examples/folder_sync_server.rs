//! Folder sync server: sends the tree under DIR to every client that connects, then
//! closes (the seeds' folder transfer with the `Sync`, `Folder`, `File` and `End` heads).
//!
//! The stream is lines ended by `\r\n`, with each file's content sent raw after its line:
//!
//! ```text
//! Sync
//! Folder REL                  a folder, REL relative to DIR with `/` separators
//! File SIZE REL               then exactly SIZE bytes of content
//! End                         then the server closes the connection
//! ```
//!
//! Entries come depth-first, sorted by name. Symlinks, special files, names that are not
//! UTF-8 and paths that cannot sit on one line (a `\r` or `\n` in a name, leading
//! whitespace) are skipped with a warning. Files are read 64 KiB at a time by a pull
//! producer, so memory stays bounded whatever their size.
//!
//! ```text
//! cargo run --example folder_sync_server -- some/dir --port 8010
//! cargo run --example folder_sync_client -- received/dir 127.0.0.1 8010
//! ```

use std::cell::RefCell;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use clap::Parser;
use listen::ListenArgs;
use torsion::{Cx, Producer, Protocol, Reactor, Transport};

#[path = "support/listen.rs"]
mod listen;
#[path = "support/logging.rs"]
mod logging;

/// How much of a file is read and written at a time.
const CHUNK: usize = 64 * 1024;

/// Serves the tree under DIR to each client.
#[derive(Parser)]
struct Args {
    /// The folder to serve.
    dir: PathBuf,
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8010)]
    port: u16,
    #[command(flatten)]
    listening: ListenArgs,
}

/// An entry still to send: its path on disk and its path relative to DIR.
struct Entry {
    path: PathBuf,
    rel: String,
}

/// The file being sent: what is left of it to read.
struct Sending {
    file: io::Take<File>,
    rel: String,
    remaining: u64,
}

/// Walks the tree and writes its frames, one bounded step each time the transport's
/// write buffer is empty.
struct TreeSender {
    transport: Transport,
    /// Entries still to visit, the next one last.
    pending: Vec<Entry>,
    current: Option<Sending>,
    buffer: Vec<u8>,
    done: bool,
}

impl TreeSender {
    fn new(transport: Transport, root: &Path) -> TreeSender {
        TreeSender {
            transport,
            pending: children(root, ""),
            current: None,
            buffer: vec![0; CHUNK],
            done: false,
        }
    }

    /// `End` is written: stop producing and close once it is sent.
    fn finish(&mut self) {
        self.done = true;
        self.transport.unregister_producer();
        self.transport.lose_connection();
    }

    fn send_line(&self, line: &str) {
        self.transport.write_sequence([line.as_bytes(), b"\r\n"]);
    }

    /// Writes the next frame or piece of content; returns how many bytes it wrote, or
    /// `None` once `End` is written.
    fn step(&mut self) -> Option<usize> {
        if self.current.is_some() {
            return Some(self.send_chunk());
        }
        match self.pending.pop() {
            Some(entry) => Some(self.send_entry(entry)),
            None => {
                self.send_line("End");
                None
            }
        }
    }

    /// Sends the next chunk of the current file.
    fn send_chunk(&mut self) -> usize {
        let Some(sending) = self.current.as_mut() else {
            return 0;
        };
        match sending.file.read(&mut self.buffer) {
            Ok(n) if n > 0 => {
                sending.remaining -= n as u64;
                if sending.remaining == 0 {
                    self.current = None;
                }
                self.transport.write(&self.buffer[..n]);
                n
            }
            result => {
                let why = result
                    .err()
                    .map_or("it shrank".to_string(), |e| e.to_string());
                tracing::error!(rel = %sending.rel, "cannot send the file ({why}); aborting");
                self.transport.abort_connection();
                self.done = true;
                0
            }
        }
    }

    /// Sends the header of `entry` (and queues a folder's children); skips what cannot
    /// be sent, with a warning. Returns the bytes written.
    fn send_entry(&mut self, entry: Entry) -> usize {
        let meta = match std::fs::symlink_metadata(&entry.path) {
            Ok(meta) => meta,
            Err(e) => return skip(&entry, &e.to_string()),
        };
        let line = if meta.is_dir() {
            let mut kids = children(&entry.path, &entry.rel);
            self.pending.append(&mut kids);
            format!("Folder {}", entry.rel)
        } else if meta.is_file() {
            match open_file(&entry) {
                Ok(sending) => {
                    let line = format!("File {} {}", sending.remaining, entry.rel);
                    self.current = (sending.remaining > 0).then_some(sending);
                    line
                }
                Err(e) => return skip(&entry, &e.to_string()),
            }
        } else if meta.file_type().is_symlink() {
            return skip(&entry, "a symlink (not followed)");
        } else {
            return skip(&entry, "not a regular file or folder");
        };
        self.send_line(&line);
        line.len() + 2
    }
}

impl Producer for TreeSender {
    fn resume_producing(&mut self) {
        let mut written = 0;
        while !self.done && written < CHUNK {
            match self.step() {
                Some(n) => written += n,
                None => self.finish(),
            }
        }
    }

    fn stop_producing(&mut self) {
        self.done = true;
        self.current = None;
        self.pending.clear();
    }
}

/// Opens a file to send, with the size it has now.
fn open_file(entry: &Entry) -> io::Result<Sending> {
    let file = File::open(&entry.path)?;
    let remaining = file.metadata()?.len();
    Ok(Sending {
        file: file.take(remaining),
        rel: entry.rel.clone(),
        remaining,
    })
}

/// Logs why `entry` is skipped; nothing was written.
fn skip(entry: &Entry, why: &str) -> usize {
    tracing::warn!(path = %entry.path.display(), "skipped: {why}");
    0
}

/// The entries of folder `dir` (whose path relative to the root is `rel`), sorted by
/// name, the first one last; names that cannot be sent are skipped with a warning.
fn children(dir: &Path, rel: &str) -> Vec<Entry> {
    let mut names: Vec<OsString> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect(),
        Err(e) => {
            tracing::warn!(path = %dir.display(), "cannot list the folder: {e}");
            Vec::new()
        }
    };
    names.sort();
    names
        .into_iter()
        .rev()
        .filter_map(|name| child(dir, rel, name))
        .collect()
}

/// The entry for `name` inside `dir`, unless its name cannot be sent.
fn child(dir: &Path, rel: &str, name: OsString) -> Option<Entry> {
    let path = dir.join(&name);
    let Some(name) = name.to_str() else {
        tracing::warn!(path = %path.display(), "skipped: the name is not UTF-8");
        return None;
    };
    let rel = if rel.is_empty() {
        name.to_string()
    } else {
        format!("{rel}/{name}")
    };
    if rel.contains(['\r', '\n']) || rel.starts_with(char::is_whitespace) {
        tracing::warn!(path = %path.display(), "skipped: the name cannot be sent on a line");
        return None;
    }
    Some(Entry { path, rel })
}

/// One client: writes `Sync` and registers the tree sender, which ends with `End` and a
/// close.
struct SyncServer {
    root: Rc<Path>,
}

impl Protocol for SyncServer {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let transport = cx.transport().clone();
        transport.write(b"Sync\r\n");
        let sender = Rc::new(RefCell::new(TreeSender::new(transport.clone(), &self.root)));
        if let Err(failure) = transport.register_producer(sender, false) {
            tracing::error!(%failure, "cannot start sending");
            transport.abort_connection();
        }
    }
}

fn main() -> torsion::Result<ExitCode> {
    logging::log_to_stderr(tracing::Level::INFO);
    let args = Args::parse();
    if !args.dir.is_dir() {
        eprintln!("folder_sync_server: {} is not a folder", args.dir.display());
        return Ok(ExitCode::FAILURE);
    }
    let reactor = Reactor::new()?;
    let root: Rc<Path> = args.dir.into();
    let factory = move |_peer| Some(SyncServer { root: root.clone() });
    args.listening
        .serve("folder_sync_server", &reactor, args.port, factory)
}

#[cfg(test)]
mod tests {
    use super::*;
    use torsion::testing::StringTransport;

    #[test]
    fn sends_frames_depth_first_and_skips_what_cannot_be_sent() {
        let root = std::env::temp_dir().join(format!("folder_sync_srv_{}", std::process::id()));
        std::fs::create_dir_all(root.join("d/ e")).unwrap();
        std::fs::write(root.join("d/f"), b"abc").unwrap();
        std::fs::write(root.join("bad\nname"), b"").unwrap();
        std::fs::write(root.join(" leading"), b"").unwrap();
        std::os::unix::fs::symlink("/etc", root.join("link")).unwrap();
        let st = StringTransport::new();
        let mut sender = TreeSender::new(st.transport(), &root);
        sender.resume_producing();
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(
            st.value_str(),
            "Folder d\r\nFolder d/ e\r\nFile 3 d/f\r\nabcEnd\r\n"
        );
        assert!(st.disconnecting());
    }
}
