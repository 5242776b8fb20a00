//! Reading certificates and private keys from PEM, in memory or in files.

use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::TlsConfigError;

/// Every certificate in `pem`, in order (a chain: the leaf first).
pub(crate) fn certificates(
    pem: &[u8],
    origin: &str,
) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsConfigError::caused_by(format!("bad certificate PEM in {origin}"), e))?;
    if certs.is_empty() {
        return Err(TlsConfigError::new(format!(
            "no CERTIFICATE block in {origin}"
        )));
    }
    Ok(certs)
}

/// The first private key in `pem` (PKCS#8, PKCS#1 or SEC1).
pub(crate) fn private_key(
    pem: &[u8],
    origin: &str,
) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
    PrivateKeyDer::from_pem_slice(pem)
        .map_err(|e| TlsConfigError::caused_by(format!("no usable private key in {origin}"), e))
}

/// The bytes of the file at `path`.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, TlsConfigError> {
    std::fs::read(path)
        .map_err(|e| TlsConfigError::caused_by(format!("cannot read {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_without_a_certificate_is_refused_with_its_origin() {
        let err = certificates(b"hello", "cert.pem").unwrap_err();
        assert!(err.to_string().contains("cert.pem"), "{err}");
        let err = private_key(
            b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
            "key.pem",
        )
        .unwrap_err();
        assert!(err.to_string().contains("key.pem"), "{err}");
    }
}
