//! The typed errors a [`Failure`](crate::Failure) can carry, and the families they form.
//!
//! Each type's `Display` is the message a user sees (Twisted's `getErrorMessage()`), so it
//! reads as a sentence: `Connection was closed cleanly.`. Test for a kind with
//! [`Failure::check`](crate::Failure::check).
//!
//! Kinds form families, as Twisted's exception classes do: checking for a parent kind also
//! matches its subkinds, at any depth.
//!
//! ```text
//! ConnectionClosed
//! ├── ConnectionDone
//! └── ConnectionLost
//!     └── ConnectionAborted
//! ConnectError
//! ├── ConnectionRefused
//! └── UserError
//!     └── TimeoutError
//! ```
//!
//! Every other kind here stands alone. Users add their own subkinds with
//! [`declare_subkind`].
//!
//! ```
//! use torsion::error::{ConnectionAborted, ConnectionClosed, ConnectionDone, ConnectionLost};
//! use torsion::Failure;
//!
//! let reason = Failure::new(ConnectionAborted);
//! assert!(reason.check::<ConnectionAborted>());
//! assert!(reason.check::<ConnectionLost>());
//! assert!(reason.check::<ConnectionClosed>());
//! assert!(!reason.check::<ConnectionDone>());
//! ```

use std::any::TypeId;
use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::sync::{OnceLock, PoisonError, RwLock};

/// Formats an OS error as `ERRNO: text`, the way Twisted prints socket errors
/// (`111: Connection refused`).
pub(crate) fn os_error_text(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => {
            let full = io::Error::from_raw_os_error(code).to_string();
            let text = full.split(" (os error").next().unwrap_or(&full);
            format!("{code}: {text}")
        }
        None => err.to_string(),
    }
}

macro_rules! simple_error {
    ($(#[$doc:meta])* $name:ident, $msg:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $name;

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($msg)
            }
        }

        impl std::error::Error for $name {}
    };
}

simple_error!(
    /// The connection was closed, cleanly or not: the parent kind of [`ConnectionDone`]
    /// and [`ConnectionLost`] (and so of [`ConnectionAborted`]). The reactor never closes
    /// a connection with this kind itself; check for it to accept any close.
    ConnectionClosed,
    "Connection was closed, whether cleanly or not."
);

simple_error!(
    /// The connection was closed cleanly: by `lose_connection` or by the peer's orderly
    /// shutdown. A subkind of [`ConnectionClosed`].
    ConnectionDone,
    "Connection was closed cleanly."
);

simple_error!(
    /// The connection was closed by [`Transport::abort_connection`](crate::Transport::abort_connection):
    /// buffered data was discarded. A subkind of [`ConnectionLost`].
    ConnectionAborted,
    "Connection was aborted locally using abort_connection."
);

simple_error!(
    /// A connection attempt did not finish within its timeout. A subkind of [`UserError`]
    /// (and so of [`ConnectError`]).
    TimeoutError,
    "User timeout caused connection failure."
);

simple_error!(
    /// A connection attempt was stopped by the user (`Connector::stop_connecting`). A
    /// subkind of [`ConnectError`].
    UserError,
    "User aborted connection."
);

simple_error!(
    /// A client factory's `build_protocol` returned `None` for a connection that succeeded.
    NoProtocol,
    "The factory built no protocol for this connection."
);

simple_error!(
    /// A [`DelayedCall`](crate::DelayedCall) was cancelled or reset after it had run.
    AlreadyCalled,
    "Tried to cancel an already-called event."
);

simple_error!(
    /// A [`DelayedCall`](crate::DelayedCall) was cancelled or reset after it was cancelled.
    AlreadyCancelled,
    "Tried to cancel an already-cancelled event."
);

simple_error!(
    /// A Deferred was given a result after it already had one. Distinct from
    /// [`AlreadyCalled`], which is about a [`DelayedCall`](crate::DelayedCall).
    AlreadyCalledError,
    "The Deferred was already called."
);

simple_error!(
    /// An operation was cancelled before it finished.
    CancelledError,
    "The operation was cancelled."
);

simple_error!(
    /// A [`Deferred`](crate::defer::Deferred)'s callback returned that same Deferred, which
    /// would wait for itself forever.
    DeferredLoop,
    "A callback returned the Deferred it was added to."
);

simple_error!(
    /// `register_producer` was called on a transport that already has a producer.
    ProducerAlreadyRegistered,
    "A producer is already registered with this transport."
);

simple_error!(
    /// `run` was called on a reactor that is already running.
    ReactorAlreadyRunning,
    "The reactor is already running."
);

/// The connection was lost in a non-clean fashion: the peer reset it, a read or write
/// failed, or the reactor shut down while it was open. A subkind of [`ConnectionClosed`],
/// and the parent kind of [`ConnectionAborted`].
#[derive(Debug)]
pub struct ConnectionLost {
    /// The OS error behind the loss, when there was one.
    pub os_error: Option<io::Error>,
}

impl fmt::Display for ConnectionLost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Connection to the other side was lost in a non-clean fashion")?;
        match &self.os_error {
            Some(err) => write!(f, ": {}.", os_error_text(err)),
            None => f.write_str(": Connection lost."),
        }
    }
}

impl std::error::Error for ConnectionLost {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.os_error.as_ref().map(|e| e as _)
    }
}

/// The peer refused the connection (`ECONNREFUSED`). A subkind of [`ConnectError`].
#[derive(Debug)]
pub struct ConnectionRefused {
    /// The OS error as reported by `connect`.
    pub os_error: io::Error,
}

impl fmt::Display for ConnectionRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Connection was refused by other side: {}.",
            os_error_text(&self.os_error)
        )
    }
}

impl std::error::Error for ConnectionRefused {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.os_error)
    }
}

/// A connection attempt failed for a reason other than refusal or timeout
/// (unreachable network, no route, ...).
///
/// Also the parent kind of every connection-attempt failure: [`ConnectionRefused`],
/// [`UserError`] and [`TimeoutError`] are subkinds, so `check::<ConnectError>()` is true
/// for them (while `downcast_ref::<ConnectError>()` stays exact).
#[derive(Debug)]
pub struct ConnectError {
    /// The OS error as reported by `connect`.
    pub os_error: io::Error,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "An error occurred while connecting: {}.",
            os_error_text(&self.os_error)
        )
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.os_error)
    }
}

/// A host name could not be resolved to an address.
#[derive(Debug)]
pub struct DnsLookupError {
    /// The name that was looked up.
    pub host: String,
    /// What the resolver said.
    pub detail: String,
}

impl fmt::Display for DnsLookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DNS lookup failed: address {:?} not found: {}.",
            self.host, self.detail
        )
    }
}

impl std::error::Error for DnsLookupError {}

/// Binding or listening on an address failed.
#[derive(Debug)]
pub struct CannotListenError {
    /// The interface asked for (`""` for all interfaces).
    pub interface: String,
    /// The port asked for.
    pub port: u16,
    /// The OS error from `bind` or `listen`.
    pub os_error: io::Error,
}

impl fmt::Display for CannotListenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let iface = if self.interface.is_empty() {
            "any"
        } else {
            &self.interface
        };
        write!(
            f,
            "Couldn't listen on {}:{}: {}.",
            iface,
            self.port,
            os_error_text(&self.os_error)
        )
    }
}

impl std::error::Error for CannotListenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.os_error)
    }
}

/// A user callback panicked; the connection it ran for was closed with this reason.
#[derive(Debug, Clone)]
pub struct CallbackPanicked {
    /// Which callback panicked (`data_received`, a timer, ...).
    pub callback: &'static str,
    /// The panic's message, when it was a string.
    pub message: String,
}

impl fmt::Display for CallbackPanicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "A user callback ({}) panicked: {}",
            self.callback, self.message
        )
    }
}

impl std::error::Error for CallbackPanicked {}

/// A connection's write buffer passed its hard limit (the peer does not read and nobody
/// paused): the connection was aborted.
#[derive(Debug, Clone, Copy)]
pub struct WriteBufferOverflow {
    /// The limit in bytes.
    pub limit: usize,
}

impl fmt::Display for WriteBufferOverflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Write buffer passed its hard limit of {} bytes: the peer is not reading.",
            self.limit
        )
    }
}

impl std::error::Error for WriteBufferOverflow {}

/// An address a listener or connection could not use as given.
#[derive(Debug, Clone)]
pub struct InvalidAddress {
    /// The address text.
    pub address: String,
}

impl fmt::Display for InvalidAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Invalid address: {:?}.", self.address)
    }
}

impl std::error::Error for InvalidAddress {}

/// A kind of error: one error type, compared by type and shown by its short name.
///
/// A `Failure`'s error has one kind ([`Failure::kind`](crate::Failure::kind)); a kind may
/// have parent kinds (see the [module docs](self) and [`declare_subkind`]). Two `Kind`s are
/// equal when they are of the same type.
///
/// # Examples
///
/// ```
/// use torsion::error::{ConnectError, Kind, TimeoutError, UserError};
///
/// let timeout = Kind::of::<TimeoutError>();
/// assert_eq!(timeout.name(), "TimeoutError");
/// assert!(timeout.is_subkind_of(Kind::of::<UserError>()));
/// assert!(timeout.is_subkind_of(Kind::of::<ConnectError>()));
/// assert!(!Kind::of::<UserError>().is_subkind_of(timeout));
/// ```
#[derive(Clone, Copy)]
pub struct Kind {
    id: TypeId,
    name: &'static str,
}

impl Kind {
    /// The kind of the error type `E`.
    pub fn of<E: StdError + 'static>() -> Kind {
        Kind {
            id: TypeId::of::<E>(),
            name: short_type_name::<E>(),
        }
    }

    /// The type's short name, without its module path or generic arguments
    /// (`ConnectionDone`).
    pub fn name(self) -> &'static str {
        self.name
    }

    /// Whether this kind is `ancestor` or one of its subkinds, at any depth: the rule
    /// [`Failure::check`](crate::Failure::check) follows. Every kind is a subkind of itself.
    pub fn is_subkind_of(self, ancestor: Kind) -> bool {
        is_subkind(self.id, ancestor.id)
    }

    /// The type's identity.
    pub(crate) fn id(self) -> TypeId {
        self.id
    }
}

impl PartialEq for Kind {
    fn eq(&self, other: &Kind) -> bool {
        self.id == other.id
    }
}

impl Eq for Kind {}

impl std::hash::Hash for Kind {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kind({})", self.name)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// A type's name without its module path or generic arguments.
fn short_type_name<E>() -> &'static str {
    let full = std::any::type_name::<E>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

/// Declares `Child` a subkind of `Parent`, for the whole process: from now on a failure
/// holding a `Child` (or any subkind of it) passes `check::<Parent>()` and
/// `trap::<Parent>()`, and so does one holding a subkind of `Child`. A kind may have
/// several parents; declaring the same pair again changes nothing.
///
/// Declarations are read only when a check is not settled by the exact type and by
/// torsion's own families, so they cost nothing to failures that do not need them.
///
/// # Panics
///
/// If `Parent` is already `Child` or one of its subkinds: the declaration would make a
/// kind its own ancestor.
///
/// # Examples
///
/// ```
/// use std::fmt;
/// use torsion::{error::declare_subkind, Failure};
///
/// #[derive(Debug)]
/// struct ProtocolViolation;
/// impl fmt::Display for ProtocolViolation {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
///         f.write_str("The peer broke the protocol.")
///     }
/// }
/// impl std::error::Error for ProtocolViolation {}
///
/// #[derive(Debug)]
/// struct BadFrame;
/// impl fmt::Display for BadFrame {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
///         f.write_str("A frame did not parse.")
///     }
/// }
/// impl std::error::Error for BadFrame {}
///
/// declare_subkind::<BadFrame, ProtocolViolation>();
/// let failure = Failure::new(BadFrame);
/// assert!(failure.check::<ProtocolViolation>());
/// assert!(failure.downcast_ref::<ProtocolViolation>().is_none());
/// ```
pub fn declare_subkind<Child: StdError + 'static, Parent: StdError + 'static>() {
    let (child, parent) = (Kind::of::<Child>(), Kind::of::<Parent>());
    let mut declared = declared().write().unwrap_or_else(PoisonError::into_inner);
    assert!(
        !descends(parent.id, child.id, &declared),
        "declaring {child} a subkind of {parent} would make {child} its own ancestor"
    );
    if !declared.contains(&(child.id, parent.id)) {
        declared.push((child.id, parent.id));
    }
}

/// The subkinds users declared, as `(child, parent)` pairs; the graph has no cycle.
type Declared = RwLock<Vec<(TypeId, TypeId)>>;

static DECLARED: OnceLock<Declared> = OnceLock::new();

fn declared() -> &'static Declared {
    DECLARED.get_or_init(Declared::default)
}

/// The parent of each of torsion's own kinds that has one, after Twisted's class tree.
fn builtin_parent(child: TypeId) -> Option<TypeId> {
    let families = [
        (
            TypeId::of::<ConnectionDone>(),
            TypeId::of::<ConnectionClosed>(),
        ),
        (
            TypeId::of::<ConnectionLost>(),
            TypeId::of::<ConnectionClosed>(),
        ),
        (
            TypeId::of::<ConnectionAborted>(),
            TypeId::of::<ConnectionLost>(),
        ),
        (
            TypeId::of::<ConnectionRefused>(),
            TypeId::of::<ConnectError>(),
        ),
        (TypeId::of::<UserError>(), TypeId::of::<ConnectError>()),
        (TypeId::of::<TimeoutError>(), TypeId::of::<UserError>()),
        (TypeId::of::<TlsError>(), TypeId::of::<ConnectionLost>()),
        (TypeId::of::<TlsTruncated>(), TypeId::of::<ConnectionLost>()),
        (
            TypeId::of::<TlsHandshakeTimeout>(),
            TypeId::of::<TlsError>(),
        ),
    ];
    families
        .iter()
        .find(|(c, _)| *c == child)
        .map(|&(_, parent)| parent)
}

/// Whether `child` is `ancestor` or descends from it. Tries the exact type, then torsion's
/// own families, and only then takes the lock on the declared ones.
pub(crate) fn is_subkind(child: TypeId, ancestor: TypeId) -> bool {
    let mut kind = child;
    loop {
        if kind == ancestor {
            return true;
        }
        match builtin_parent(kind) {
            Some(parent) => kind = parent,
            None => break,
        }
    }
    match DECLARED.get() {
        Some(lock) => {
            let declared = lock.read().unwrap_or_else(PoisonError::into_inner);
            !declared.is_empty() && descends(child, ancestor, &declared)
        }
        None => false,
    }
}

/// Whether `child` is `ancestor` or descends from it through both kinds of parent link.
/// Terminates because the links form no cycle.
fn descends(child: TypeId, ancestor: TypeId, declared: &[(TypeId, TypeId)]) -> bool {
    let mut pending = vec![child];
    while let Some(kind) = pending.pop() {
        if kind == ancestor {
            return true;
        }
        pending.extend(builtin_parent(kind));
        pending.extend(
            declared
                .iter()
                .filter(|(c, _)| *c == kind)
                .map(|&(_, parent)| parent),
        );
    }
    false
}

/// Where a listening or connected socket is bound, for log lines and errors.
pub(crate) fn describe(addr: Option<crate::Address>) -> String {
    addr.map(|a| a.to_string())
        .unwrap_or_else(|| "unknown".into())
}

pub use crate::process::{
    ProcessDone, ProcessExitedAlready, ProcessKilledWithOutput, ProcessSpawnFailed,
    ProcessTerminated, ProcessWroteToStderr, SpawnStage,
};
pub use crate::threads::{
    CalledFromReactorThread, FailedOnReactorThread, NoResult, ThreadPoolStopped,
};
pub use crate::tls::{TlsConfigError, TlsError, TlsHandshakeTimeout, TlsTruncated};
pub use crate::udp::{DatagramPortError, MessageLengthError, MulticastJoinError};
pub use crate::unix::{BadFileError, CannotListenUnixError};

#[cfg(test)]
mod tests {
    use super::*;

    /// Declares a test-local error type, so declarations made by one test cannot be seen
    /// by another's checks.
    macro_rules! local_kind {
        ($($name:ident),*) => {$(
            #[derive(Debug)]
            struct $name;
            impl fmt::Display for $name {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str(stringify!($name))
                }
            }
            impl std::error::Error for $name {}
        )*};
    }

    fn k<E: std::error::Error + 'static>() -> Kind {
        Kind::of::<E>()
    }

    #[test]
    fn connection_closed_family_follows_twisted() {
        for child in [
            k::<ConnectionDone>(),
            k::<ConnectionLost>(),
            k::<ConnectionAborted>(),
        ] {
            assert!(child.is_subkind_of(k::<ConnectionClosed>()), "{child:?}");
        }
        assert!(k::<ConnectionAborted>().is_subkind_of(k::<ConnectionLost>()));
        assert!(!k::<ConnectionAborted>().is_subkind_of(k::<ConnectionDone>()));
        assert!(!k::<ConnectionDone>().is_subkind_of(k::<ConnectionLost>()));
        assert!(!k::<ConnectionLost>().is_subkind_of(k::<ConnectionAborted>()));
        assert!(!k::<ConnectionClosed>().is_subkind_of(k::<ConnectionDone>()));
    }

    #[test]
    fn connect_error_family_follows_twisted() {
        for child in [
            k::<ConnectionRefused>(),
            k::<UserError>(),
            k::<TimeoutError>(),
        ] {
            assert!(child.is_subkind_of(k::<ConnectError>()), "{child:?}");
        }
        assert!(k::<TimeoutError>().is_subkind_of(k::<UserError>()));
        assert!(!k::<UserError>().is_subkind_of(k::<TimeoutError>()));
        assert!(!k::<ConnectionRefused>().is_subkind_of(k::<UserError>()));
        assert!(!k::<ConnectError>().is_subkind_of(k::<ConnectionRefused>()));
    }

    #[test]
    fn other_kinds_stand_alone() {
        let alone = [
            k::<NoProtocol>(),
            k::<AlreadyCalled>(),
            k::<AlreadyCalledError>(),
            k::<AlreadyCancelled>(),
            k::<CancelledError>(),
            k::<DnsLookupError>(),
            k::<CannotListenError>(),
            k::<CallbackPanicked>(),
            k::<WriteBufferOverflow>(),
        ];
        for kind in alone {
            assert!(kind.is_subkind_of(kind));
            assert!(!kind.is_subkind_of(k::<ConnectionClosed>()), "{kind:?}");
            assert!(!kind.is_subkind_of(k::<ConnectError>()), "{kind:?}");
        }
        assert_ne!(k::<AlreadyCalled>(), k::<AlreadyCalledError>());
    }

    #[test]
    fn kinds_compare_by_type_and_show_short_names() {
        assert_eq!(k::<ConnectionDone>(), k::<ConnectionDone>());
        assert_ne!(k::<ConnectionDone>(), k::<ConnectionLost>());
        assert_eq!(k::<ConnectionDone>().name(), "ConnectionDone");
        assert_eq!(format!("{:?}", k::<io::Error>()), "Kind(Error)");
        assert_eq!(k::<UserError>().to_string(), "UserError");
    }

    #[test]
    fn new_messages_read_as_sentences() {
        assert_eq!(
            AlreadyCalledError.to_string(),
            "The Deferred was already called."
        );
        assert_eq!(
            ConnectionClosed.to_string(),
            "Connection was closed, whether cleanly or not."
        );
    }

    #[test]
    fn declared_subkinds_are_transitive() {
        local_kind!(Grandparent, Parent, Child, Unrelated);
        declare_subkind::<Child, Parent>();
        declare_subkind::<Parent, Grandparent>();
        declare_subkind::<Parent, Grandparent>();
        assert!(k::<Child>().is_subkind_of(k::<Parent>()));
        assert!(k::<Child>().is_subkind_of(k::<Grandparent>()));
        assert!(!k::<Grandparent>().is_subkind_of(k::<Child>()));
        assert!(!k::<Child>().is_subkind_of(k::<Unrelated>()));
    }

    #[test]
    fn declarations_join_torsion_families() {
        local_kind!(AnyClose, CustomLoss, ShutdownLoss);
        // Above a built-in kind: every close is now also an AnyClose.
        declare_subkind::<ConnectionClosed, AnyClose>();
        assert!(k::<ConnectionAborted>().is_subkind_of(k::<AnyClose>()));
        // Below a built-in kind, two levels deep.
        declare_subkind::<CustomLoss, ConnectionLost>();
        declare_subkind::<ShutdownLoss, CustomLoss>();
        assert!(k::<ShutdownLoss>().is_subkind_of(k::<ConnectionClosed>()));
        assert!(k::<ShutdownLoss>().is_subkind_of(k::<AnyClose>()));
        assert!(!k::<ShutdownLoss>().is_subkind_of(k::<ConnectionDone>()));
    }

    #[test]
    fn a_kind_may_have_several_parents() {
        local_kind!(Both, Left, Right);
        declare_subkind::<Both, Left>();
        declare_subkind::<Both, Right>();
        assert!(k::<Both>().is_subkind_of(k::<Left>()));
        assert!(k::<Both>().is_subkind_of(k::<Right>()));
        assert!(!k::<Left>().is_subkind_of(k::<Right>()));
    }

    #[test]
    #[should_panic(expected = "its own ancestor")]
    fn a_cycle_is_refused() {
        local_kind!(Upper, Lower);
        declare_subkind::<Lower, Upper>();
        declare_subkind::<Upper, Lower>();
    }

    #[test]
    #[should_panic(expected = "its own ancestor")]
    fn a_cycle_through_torsion_families_is_refused() {
        declare_subkind::<ConnectionClosed, ConnectionAborted>();
    }

    #[test]
    #[should_panic(expected = "its own ancestor")]
    fn a_kind_cannot_be_its_own_parent() {
        local_kind!(Selfish);
        declare_subkind::<Selfish, Selfish>();
    }

    #[test]
    fn refused_reads_like_twisted() {
        let err = ConnectionRefused {
            os_error: io::Error::from_raw_os_error(111),
        };
        assert_eq!(
            err.to_string(),
            "Connection was refused by other side: 111: Connection refused."
        );
    }

    #[test]
    fn lost_names_the_os_error() {
        let err = ConnectionLost {
            os_error: Some(io::Error::from_raw_os_error(104)),
        };
        assert_eq!(
            err.to_string(),
            "Connection to the other side was lost in a non-clean fashion: 104: Connection reset by peer."
        );
        let plain = ConnectionLost { os_error: None };
        assert!(plain.to_string().ends_with(": Connection lost."));
    }

    #[test]
    fn listen_error_names_interface_and_port() {
        let err = CannotListenError {
            interface: String::new(),
            port: 80,
            os_error: io::Error::from_raw_os_error(98),
        };
        assert_eq!(
            err.to_string(),
            "Couldn't listen on any:80: 98: Address already in use."
        );
    }
}
