//! The ways a TLS connection fails: [`TlsError`] (the handshake or a record went wrong),
//! [`TlsTruncated`] (the peer closed without `close_notify`), [`TlsHandshakeTimeout`], and
//! [`TlsConfigError`] (options that cannot be built).

use std::fmt;
use std::io;

/// Why a TLS connection failed, in the words a user can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsErrorKind {
    /// The peer's certificate is not signed by an authority we trust (OpenSSL's "unable to
    /// get local issuer certificate"), or the peer said so of ours.
    UnknownIssuer,
    /// The certificate is valid, but not for the name we asked for.
    NameMismatch,
    /// The certificate expired or is not valid yet.
    Expired,
    /// The certificate is malformed, badly signed or otherwise refused.
    BadCertificate,
    /// The server requires a client certificate and got none.
    CertificateRequired,
    /// No protocol version both sides accept (torsion speaks TLS 1.2 and 1.3 only).
    ProtocolVersion,
    /// The two sides share no cipher suite, group or ALPN protocol.
    NoCommonParameters,
    /// The peer sent bytes that are not TLS, or a record that does not parse.
    BadRecord,
    /// The peer sent a fatal alert not covered above.
    PeerAlert,
    /// Anything else rustls reported.
    Other,
}

/// A TLS handshake or record failed; the connection was closed (an alert was sent when the
/// fault was the peer's). A subkind of [`ConnectionLost`](crate::error::ConnectionLost), so
/// code that accepts any lost connection accepts this one.
///
/// # Examples
///
/// ```
/// use torsion::tls::{TlsError, TlsErrorKind};
///
/// fn explain(reason: &torsion::Failure) -> String {
///     match reason.downcast_ref::<TlsError>() {
///         Some(e) if e.kind() == TlsErrorKind::UnknownIssuer => "untrusted certificate".into(),
///         Some(e) => e.to_string(),
///         None => reason.to_string(),
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct TlsError {
    kind: TlsErrorKind,
    detail: String,
    handshake: bool,
}

impl TlsError {
    pub(crate) fn from_rustls(err: &rustls::Error, handshake: bool) -> TlsError {
        TlsError {
            kind: classify(err),
            detail: err.to_string(),
            handshake,
        }
    }

    /// What went wrong, in broad terms.
    pub fn kind(&self) -> TlsErrorKind {
        self.kind
    }

    /// rustls's own description of the fault.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// Whether the handshake had not finished (no application data was exchanged).
    pub fn during_handshake(&self) -> bool {
        self.handshake
    }
}

fn classify(err: &rustls::Error) -> TlsErrorKind {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E, PeerIncompatible as P};
    match err {
        E::InvalidCertificate(C::UnknownIssuer) | E::AlertReceived(A::UnknownCA) => {
            TlsErrorKind::UnknownIssuer
        }
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            TlsErrorKind::NameMismatch
        }
        E::InvalidCertificate(
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. },
        )
        | E::AlertReceived(A::CertificateExpired) => TlsErrorKind::Expired,
        E::InvalidCertificate(_)
        | E::AlertReceived(A::BadCertificate | A::UnsupportedCertificate) => {
            TlsErrorKind::BadCertificate
        }
        E::NoCertificatesPresented | E::AlertReceived(A::CertificateRequired) => {
            TlsErrorKind::CertificateRequired
        }
        E::AlertReceived(A::ProtocolVersion) => TlsErrorKind::ProtocolVersion,
        // A hello from before TLS 1.2 lacks the extensions 1.2 and 1.3 need; rustls
        // reports the first one missing rather than the version.
        E::PeerIncompatible(
            P::ServerDoesNotSupportTls12Or13
            | P::ServerTlsVersionIsDisabledByOurConfig
            | P::SupportedVersionsExtensionRequired
            | P::SignatureAlgorithmsExtensionRequired
            | P::Tls12NotOffered
            | P::Tls12NotOfferedOrEnabled,
        ) => TlsErrorKind::ProtocolVersion,
        E::PeerIncompatible(_)
        | E::NoApplicationProtocol
        | E::AlertReceived(A::HandshakeFailure | A::NoApplicationProtocol) => {
            TlsErrorKind::NoCommonParameters
        }
        E::InvalidMessage(_)
        | E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. }
        | E::DecryptError
        | E::PeerMisbehaved(_) => TlsErrorKind::BadRecord,
        E::AlertReceived(_) => TlsErrorKind::PeerAlert,
        _ => TlsErrorKind::Other,
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = if self.handshake {
            "TLS handshake failed"
        } else {
            "TLS connection failed"
        };
        let what = match self.kind {
            TlsErrorKind::UnknownIssuer => "certificate signed by an unknown authority",
            TlsErrorKind::NameMismatch => "certificate not valid for the name asked for",
            TlsErrorKind::Expired => "certificate expired or not yet valid",
            TlsErrorKind::BadCertificate => "certificate refused",
            TlsErrorKind::CertificateRequired => "a client certificate is required",
            TlsErrorKind::ProtocolVersion => "no TLS version in common",
            TlsErrorKind::NoCommonParameters => "no cipher suite, group or ALPN protocol in common",
            TlsErrorKind::BadRecord => "the peer sent data that is not valid TLS",
            TlsErrorKind::PeerAlert => "the peer sent a fatal alert",
            TlsErrorKind::Other => "TLS error",
        };
        write!(f, "{stage}: {what} ({})", self.detail)
    }
}

impl std::error::Error for TlsError {}

/// The peer closed the connection without sending TLS `close_notify` first: what it sent
/// may have been cut short by an attacker or a crash. A subkind of
/// [`ConnectionLost`](crate::error::ConnectionLost), as Twisted reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TlsTruncated;

impl fmt::Display for TlsTruncated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "The peer closed the connection without a TLS close_notify: its data may be truncated.",
        )
    }
}

impl std::error::Error for TlsTruncated {}

/// The TLS handshake did not finish within its deadline (see
/// [`ServerOptions::handshake_timeout`](crate::tls::ServerOptions::handshake_timeout)). A
/// subkind of [`TlsError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsHandshakeTimeout {
    /// The deadline that passed.
    pub after: std::time::Duration,
}

impl fmt::Display for TlsHandshakeTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "The TLS handshake did not finish within {:.1} s.",
            self.after.as_secs_f64()
        )
    }
}

impl std::error::Error for TlsHandshakeTimeout {}

/// TLS options that cannot be built: a file that cannot be read, PEM without a
/// certificate or key, a key that does not match, a bad server name.
#[derive(Debug)]
pub struct TlsConfigError {
    what: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TlsConfigError {
    pub(crate) fn new(what: impl Into<String>) -> TlsConfigError {
        TlsConfigError {
            what: what.into(),
            source: None,
        }
    }

    pub(crate) fn caused_by(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> TlsConfigError {
        TlsConfigError {
            what: what.into(),
            source: Some(Box::new(source)),
        }
    }
}

impl fmt::Display for TlsConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{}: {source}", self.what),
            None => f.write_str(&self.what),
        }
    }
}

impl std::error::Error for TlsConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|s| s as _)
    }
}

impl From<TlsConfigError> for io::Error {
    fn from(err: TlsConfigError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, err)
    }
}

impl TlsError {
    /// rustls refused more records (its buffer is full of a record too large to be TLS).
    pub(crate) fn from_io(err: &io::Error, handshake: bool) -> TlsError {
        TlsError {
            kind: TlsErrorKind::BadRecord,
            detail: err.to_string(),
            handshake,
        }
    }
}
