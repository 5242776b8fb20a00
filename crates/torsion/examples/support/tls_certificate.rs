//! Where a TLS server's certificate comes from: `--cert` and `--key` (PEM files), or, with
//! neither, a self-signed certificate for `localhost` and 127.0.0.1 made at start-up with
//! rcgen and written to `--cert-dir`, so that a client can be told to trust it.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use torsion::tls::ServerOptions;

/// The names the self-signed certificate is valid for.
const SELF_SIGNED_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// The certificate options every TLS server example shares.
#[derive(clap::Args)]
pub struct CertificateArgs {
    /// The server's certificate chain in PEM, leaf first (needs --key).
    #[arg(long, value_name = "CERT.pem", requires = "key")]
    pub cert: Option<PathBuf>,
    /// The private key of --cert, in PEM (needs --cert).
    #[arg(long, value_name = "KEY.pem", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Without --cert and --key: the directory to write the self-signed certificate and
    /// key to, as cert.pem and key.pem (by default a new directory under the system's
    /// temporary directory, removed when the server exits).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["cert", "key"])]
    pub cert_dir: Option<PathBuf>,
}

impl CertificateArgs {
    /// The server's TLS options: from `--cert` and `--key`, or else from a new self-signed
    /// certificate, whose files' paths are printed on stdout.
    ///
    /// # Errors
    ///
    /// A message saying which file could not be read, written or used.
    pub fn load(&self) -> Result<ServerCertificate, String> {
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => Ok(ServerCertificate {
                options: ServerOptions::from_pem_files(cert, key).map_err(|e| e.to_string())?,
                remove_on_drop: None,
            }),
            _ => {
                let (dir, remove_on_drop) = match &self.cert_dir {
                    Some(dir) => (dir.clone(), None),
                    None => {
                        let dir = default_cert_dir();
                        (dir.clone(), Some(dir))
                    }
                };
                let files = write_self_signed(&dir)?;
                println!(
                    "self-signed certificate for {} written to {}",
                    SELF_SIGNED_NAMES.join(" and "),
                    files.cert.display()
                );
                println!("its private key written to {}", files.key.display());
                std::io::stdout()
                    .flush()
                    .map_err(|e| format!("stdout: {e}"))?;
                Ok(ServerCertificate {
                    options: ServerOptions::from_pem_files(&files.cert, &files.key)
                        .map_err(|e| e.to_string())?,
                    remove_on_drop,
                })
            }
        }
    }
}

/// A server's TLS options; when they come from a self-signed certificate in the default
/// directory, that directory is removed on drop.
pub struct ServerCertificate {
    options: ServerOptions,
    remove_on_drop: Option<PathBuf>,
}

impl ServerCertificate {
    /// The options to listen with.
    pub fn options(&self) -> ServerOptions {
        self.options.clone()
    }
}

impl Drop for ServerCertificate {
    fn drop(&mut self) {
        if let Some(dir) = &self.remove_on_drop {
            if let Err(err) = fs::remove_dir_all(dir) {
                tracing::warn!("cannot remove {}: {err}", dir.display());
            }
        }
    }
}

/// `$TMPDIR/torsion-self-signed-PID`.
fn default_cert_dir() -> PathBuf {
    std::env::temp_dir().join(format!("torsion-self-signed-{}", std::process::id()))
}

/// The two files of a certificate.
pub struct CertificateFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Makes a self-signed certificate for [`SELF_SIGNED_NAMES`] and writes it to
/// `dir/cert.pem`, its key to `dir/key.pem` (readable by the owner only), creating `dir`.
///
/// # Errors
///
/// A message naming the file or directory that could not be written.
pub fn write_self_signed(dir: &Path) -> Result<CertificateFiles, String> {
    let names: Vec<String> = SELF_SIGNED_NAMES.iter().map(|n| n.to_string()).collect();
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|e| format!("cannot make a self-signed certificate: {e}"))?;
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let files = CertificateFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    write_file(&files.cert, made.cert.pem().as_bytes(), 0o644)?;
    write_file(
        &files.key,
        made.signing_key.serialize_pem().as_bytes(),
        0o600,
    )?;
    Ok(files)
}

/// Writes `contents` to `path` with permissions `mode`, replacing what was there (the
/// mode too: a key file left readable by others is made private).
fn write_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), String> {
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .and_then(|mut file| {
            file.set_permissions(fs::Permissions::from_mode(mode))?;
            file.write_all(contents)
        })
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
