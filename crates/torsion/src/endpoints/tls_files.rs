//! Reading the files a TLS description names into [`ServerOptions`] and [`ClientOptions`],
//! with errors that name the argument and the file.

use std::fmt;
use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use super::{DescriptionError, TlsClientSpec, TlsServerSpec};
use crate::tls::{ClientOptions, ServerOptions};

impl TlsServerSpec {
    /// Reads the key, the certificate, any extra chain and any client authorities this
    /// spec names into [`ServerOptions`]: the certificate file's certificates, then the
    /// `extraCertChain` ones; with `caCertsDir`, clients must present a certificate signed
    /// by an authority in one of its `*.pem` files.
    ///
    /// # Errors
    ///
    /// A [`DescriptionError`] naming the argument and its file when a file cannot be read,
    /// holds no certificate (or key), or the key does not match the certificate.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::endpoints::{server_spec_from_string, ServerSpec};
    ///
    /// let ServerSpec::Tls(spec) = server_spec_from_string("ssl:0:privateKey=/nonexistent.pem")?
    /// else {
    ///     unreachable!()
    /// };
    /// let err = spec.server_options().unwrap_err().to_string();
    /// assert!(err.starts_with(r#"privateKey "/nonexistent.pem" in "#), "{err}");
    /// assert!(err.contains("cannot be read"), "{err}");
    /// # Ok::<(), torsion::endpoints::DescriptionError>(())
    /// ```
    pub fn server_options(&self) -> Result<ServerOptions, DescriptionError> {
        let text = self.text();
        let key = read(text, "privateKey", self.private_key())?;
        let mut chain = read(text, "certKey", self.cert_key())?;
        if let Some(extra) = self.extra_cert_chain() {
            let pem = read(text, "extraCertChain", extra)?;
            if certificate_count(&pem) == 0 {
                return Err(invalid(
                    text,
                    "extraCertChain",
                    extra,
                    "holds no PEM certificate",
                ));
            }
            chain.push(b'\n');
            chain.extend_from_slice(&pem);
        }
        let options = ServerOptions::from_pem(&chain, &key).map_err(|err| {
            let problem = format!(
                "certKey {:?} and privateKey {:?}",
                self.cert_key().display().to_string(),
                self.private_key().display().to_string()
            );
            DescriptionError::new(text, problem, format!("do not make a certificate: {err}"))
        })?;
        match self.ca_certs_dir() {
            None => Ok(options),
            Some(dir) => options
                .require_client_certificates(&authorities(text, "caCertsDir", dir)?)
                .map_err(|err| invalid(text, "caCertsDir", dir, err)),
        }
    }
}

impl TlsClientSpec {
    /// [`ClientOptions`] verifying the server for this spec's host: trusting the
    /// authorities in the `trustRoots` directory's `*.pem` files instead of the system's
    /// when it is given, and presenting the client certificate when one is named.
    ///
    /// # Errors
    ///
    /// A [`DescriptionError`] when the host is not a name a certificate can be checked
    /// against, or a file cannot be read or holds nothing usable (naming the argument and
    /// the file).
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::endpoints::{client_spec_from_string, ClientSpec};
    ///
    /// let ClientSpec::Tls(spec) = client_spec_from_string("tls:example.org:443")? else {
    ///     unreachable!()
    /// };
    /// let options = spec.client_options()?;
    /// assert_eq!(options.hostname(), "example.org");
    /// assert!(options.verifies());
    /// # Ok::<(), torsion::endpoints::DescriptionError>(())
    /// ```
    pub fn client_options(&self) -> Result<ClientOptions, DescriptionError> {
        let text = self.text();
        let mut options = ClientOptions::new(self.server_name()).map_err(|err| {
            DescriptionError::new(
                text,
                format!("host name {:?}", self.server_name()),
                format!("cannot be verified: {err}"),
            )
        })?;
        if let Some(dir) = self.trust_roots() {
            options = options
                .with_trust_root_pem(&authorities(text, "trustRoots", dir)?)
                .map_err(|err| invalid(text, "trustRoots", dir, err))?;
        }
        if let (Some(cert), Some(key)) = (self.certificate(), self.private_key()) {
            let cert_pem = read(text, "certificate", cert)?;
            let key_pem = read(text, "privateKey", key)?;
            options = options
                .with_client_certificate(&cert_pem, &key_pem)
                .map_err(|err| invalid(text, "certificate", cert, err))?;
        }
        Ok(options)
    }
}

/// The bytes of the file argument `name` names.
fn read(text: &str, name: &str, path: &Path) -> Result<Vec<u8>, DescriptionError> {
    std::fs::read(path).map_err(|err| invalid(text, name, path, format!("cannot be read: {err}")))
}

/// The certificates of every `*.pem` file in `dir` that holds some, as one PEM text (as
/// Twisted's `caCertsDir`, files that cannot be read or parsed are passed over).
fn authorities(text: &str, name: &str, dir: &Path) -> Result<Vec<u8>, DescriptionError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|err| invalid(text, name, dir, format!("cannot be read: {err}")))?;
    let mut pem = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let is_pem = path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("pem"));
        if !is_pem {
            continue;
        }
        match std::fs::read(&path) {
            Ok(bytes) if certificate_count(&bytes) > 0 => {
                pem.extend_from_slice(&bytes);
                pem.push(b'\n');
            }
            Ok(_) => tracing::debug!(file = %path.display(), "no certificate; passed over"),
            Err(err) => tracing::debug!(file = %path.display(), %err, "unreadable; passed over"),
        }
    }
    if pem.is_empty() {
        return Err(invalid(
            text,
            name,
            dir,
            "holds no *.pem file with a certificate",
        ));
    }
    Ok(pem)
}

/// How many certificates `pem` holds, or 0 if any of them is malformed.
fn certificate_count(pem: &[u8]) -> usize {
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_or(0, |certs| certs.len())
}

fn invalid(text: &str, name: &str, path: &Path, why: impl fmt::Display) -> DescriptionError {
    DescriptionError::new(
        text,
        format!("{name} {:?}", path.display().to_string()),
        why,
    )
}
