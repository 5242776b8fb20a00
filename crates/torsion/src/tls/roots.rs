//! The certificate authorities a client trusts by default: the system's store, or the
//! bundled Mozilla roots where the system has none.

use std::sync::{Arc, OnceLock};

use rustls::RootCertStore;

/// The default roots, loaded once per process (reading the system store takes a while).
pub(crate) fn default_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                tracing::debug!(
                    errors = found.errors.len(),
                    "no system trust store; using the bundled Mozilla roots"
                );
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            }
            Arc::new(roots)
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_always_some_roots() {
        assert!(!default_roots().is_empty());
    }
}
