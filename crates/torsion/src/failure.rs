//! [`Failure`]: an error that happened somewhere in the reactor, carried to whoever handles it.

use std::any::{Any, TypeId};
use std::error::Error as StdError;
use std::fmt;
use std::rc::Rc;

use crate::error::{is_subkind, Kind};

/// An error delivered to a callback: why a connection closed, why a connection attempt
/// failed, why a call could not be made.
///
/// A `Failure` wraps one typed error (see [`crate::error`]) and is cheap to clone. Test its
/// kind with [`check`](Failure::check), take it apart with [`downcast_ref`](Failure::downcast_ref)
/// or [`trap`](Failure::trap), and show it with [`get_error_message`](Failure::get_error_message)
/// or `Display` (`ConnectionDone: Connection was closed cleanly.`).
///
/// `check` and `trap` follow the families of [`crate::error`], as Twisted's do with its
/// exception classes: a [`ConnectionAborted`](crate::error::ConnectionAborted) passes
/// `check::<ConnectionLost>()`. [`downcast_ref`](Failure::downcast_ref) stays exact.
///
/// # Examples
///
/// ```
/// use torsion::error::{ConnectionClosed, ConnectionDone, ConnectionLost, Kind};
/// use torsion::Failure;
///
/// let reason = Failure::new(ConnectionDone);
/// assert!(reason.check::<ConnectionDone>());
/// assert!(reason.check::<ConnectionClosed>(), "a parent kind matches");
/// assert!(reason.downcast_ref::<ConnectionClosed>().is_none(), "downcasts are exact");
/// assert_eq!(reason.kind(), Kind::of::<ConnectionDone>());
/// assert_eq!(reason.get_error_message(), "Connection was closed cleanly.");
/// assert_eq!(reason.to_string(), "ConnectionDone: Connection was closed cleanly.");
///
/// let which = reason.trap_any(&[Kind::of::<ConnectionLost>(), Kind::of::<ConnectionClosed>()]);
/// assert_eq!(which.unwrap(), Kind::of::<ConnectionClosed>());
/// ```
#[derive(Clone)]
pub struct Failure {
    // One pointer pair, so a `Result<(), Failure>` comes back in registers.
    inner: Rc<Named<dyn StdError + 'static>>,
}

/// An error with its kind.
struct Named<E: ?Sized> {
    kind: Kind,
    error: E,
}

impl Failure {
    /// Wraps `error`.
    pub fn new<E: StdError + 'static>(error: E) -> Failure {
        Failure {
            inner: Rc::new(Named {
                kind: Kind::of::<E>(),
                error,
            }),
        }
    }

    /// Builds a failure from a caught panic's payload, naming the callback that panicked.
    pub(crate) fn from_panic(callback: &'static str, payload: Box<dyn Any + Send>) -> Failure {
        let message = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "non-string panic payload".to_string()
        };
        Failure::new(crate::error::CallbackPanicked { callback, message })
    }

    /// Whether the wrapped error is an `E` or of a subkind of `E` (see [`crate::error`]).
    /// An exact match is as cheap as a type comparison; families are looked up only when
    /// it fails.
    pub fn check<E: StdError + 'static>(&self) -> bool {
        is_subkind(self.inner.kind.id(), TypeId::of::<E>())
    }

    /// Whether the wrapped error is of any of `kinds` (or of a subkind of one).
    pub fn check_any(&self, kinds: &[Kind]) -> bool {
        kinds.iter().any(|&k| self.inner.kind.is_subkind_of(k))
    }

    /// The kind of the wrapped error: its exact type.
    pub fn kind(&self) -> Kind {
        self.inner.kind
    }

    /// The wrapped error as an `E`, if it is exactly one: a subkind does not downcast to its
    /// parent.
    pub fn downcast_ref<E: StdError + 'static>(&self) -> Option<&E> {
        self.inner.error.downcast_ref::<E>()
    }

    /// Handles the failure if it is an `E` or of a subkind of `E` (returns `Ok` with it) and
    /// passes it on otherwise (returns `Err(self)`), as Twisted's `trap` re-raises what it
    /// does not expect.
    ///
    /// # Errors
    ///
    /// Returns the failure itself when [`check::<E>()`](Failure::check) is false.
    pub fn trap<E: StdError + 'static>(self) -> Result<Failure, Failure> {
        if self.check::<E>() {
            Ok(self)
        } else {
            Err(self)
        }
    }

    /// Handles the failure if it is of one of `kinds` (or of a subkind of one), returning
    /// the first of `kinds`, in order, that matched, as Twisted's `trap` of several classes
    /// returns the class it matched.
    ///
    /// # Errors
    ///
    /// Returns the failure itself when it matches none of `kinds`.
    pub fn trap_any(self, kinds: &[Kind]) -> Result<Kind, Failure> {
        match kinds.iter().find(|&&k| self.inner.kind.is_subkind_of(k)) {
            Some(&kind) => Ok(kind),
            None => Err(self),
        }
    }

    /// The error's message alone (`Connection was closed cleanly.`).
    pub fn get_error_message(&self) -> String {
        self.inner.error.to_string()
    }

    /// The error type's short name (`ConnectionDone`).
    pub fn type_name(&self) -> &'static str {
        self.inner.kind.name()
    }

    /// The wrapped error.
    pub fn value(&self) -> &(dyn StdError + 'static) {
        &self.inner.error
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.inner.kind.name(), &self.inner.error)
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[Failure {}: {}]",
            self.inner.kind.name(),
            &self.inner.error
        )
    }
}

impl StdError for Failure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.inner.error)
    }
}

impl From<std::io::Error> for Failure {
    fn from(err: std::io::Error) -> Failure {
        Failure::new(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{
        ConnectError, ConnectionAborted, ConnectionClosed, ConnectionDone, ConnectionLost,
        ConnectionRefused, TimeoutError, UserError,
    };

    fn refused() -> Failure {
        Failure::new(ConnectionRefused {
            os_error: std::io::Error::from_raw_os_error(111),
        })
    }

    #[test]
    fn check_matches_parent_kinds() {
        let aborted = Failure::new(ConnectionAborted);
        assert!(aborted.check::<ConnectionAborted>());
        assert!(aborted.check::<ConnectionLost>());
        assert!(aborted.check::<ConnectionClosed>());
        assert!(!aborted.check::<ConnectionDone>());
        assert!(!aborted.check::<ConnectError>());

        let timeout = Failure::new(TimeoutError);
        assert!(timeout.check::<UserError>());
        assert!(timeout.check::<ConnectError>());
        assert!(!timeout.check::<ConnectionClosed>());
        assert!(refused().check::<ConnectError>());
        assert!(!refused().check::<UserError>());

        let user = Failure::new(UserError);
        assert!(!user.check::<TimeoutError>(), "a parent is not its child");
    }

    #[test]
    fn trap_follows_the_same_rule() {
        let lost = Failure::new(ConnectionLost { os_error: None });
        let kept = lost.trap::<ConnectionClosed>().unwrap();
        assert!(kept.downcast_ref::<ConnectionLost>().is_some());
        let passed_on = kept.trap::<ConnectionAborted>().unwrap_err();
        assert_eq!(passed_on.kind(), Kind::of::<ConnectionLost>());
    }

    #[test]
    fn downcast_stays_exact() {
        let timeout = Failure::new(TimeoutError);
        assert!(timeout.downcast_ref::<TimeoutError>().is_some());
        assert!(timeout.downcast_ref::<UserError>().is_none());
        assert!(refused().downcast_ref::<ConnectError>().is_none());
    }

    #[test]
    fn kind_is_the_exact_type() {
        assert_eq!(refused().kind(), Kind::of::<ConnectionRefused>());
        assert_ne!(refused().kind(), Kind::of::<ConnectError>());
        assert_eq!(refused().type_name(), refused().kind().name());
    }

    #[test]
    fn check_any_and_trap_any_take_the_first_match_in_order() {
        let closed = Kind::of::<ConnectionClosed>();
        let lost = Kind::of::<ConnectionLost>();
        let done = Kind::of::<ConnectionDone>();
        let aborted = || Failure::new(ConnectionAborted);
        assert!(aborted().check_any(&[done, lost]));
        assert!(!aborted().check_any(&[done]));
        assert!(!aborted().check_any(&[]));
        assert_eq!(aborted().trap_any(&[done, closed, lost]).unwrap(), closed);
        assert_eq!(aborted().trap_any(&[lost, closed]).unwrap(), lost);
        let passed_on = aborted().trap_any(&[done, Kind::of::<ConnectError>()]);
        assert_eq!(
            passed_on.unwrap_err().kind(),
            Kind::of::<ConnectionAborted>()
        );
    }

    #[test]
    fn close_reasons_keep_their_exact_meaning() {
        // What the stream close relies on to choose between a reset and a normal close:
        // only a clean close and a plain loss close normally.
        let exact = |f: &Failure| {
            f.downcast_ref::<ConnectionDone>().is_some()
                || f.downcast_ref::<ConnectionLost>().is_some()
        };
        assert!(exact(&Failure::new(ConnectionDone)));
        assert!(exact(&Failure::new(ConnectionLost { os_error: None })));
        assert!(!exact(&Failure::new(ConnectionAborted)));
        assert!(!exact(&Failure::new(ConnectionClosed)));
    }

    #[test]
    fn check_and_trap_tell_kinds_apart() {
        let f = Failure::new(TimeoutError);
        assert!(f.check::<TimeoutError>());
        assert!(!f.check::<ConnectionDone>());
        let passed_on = f.clone().trap::<ConnectionDone>().unwrap_err();
        assert!(passed_on.check::<TimeoutError>());
        assert!(f.trap::<TimeoutError>().is_ok());
    }

    #[test]
    fn display_names_type_and_message() {
        let f = Failure::new(ConnectionLost { os_error: None });
        assert_eq!(f.type_name(), "ConnectionLost");
        assert!(f
            .to_string()
            .starts_with("ConnectionLost: Connection to the other side"));
        assert!(f
            .downcast_ref::<ConnectionLost>()
            .unwrap()
            .os_error
            .is_none());
    }

    #[test]
    fn panic_payloads_become_messages() {
        let f = Failure::from_panic("data_received", Box::new("boom"));
        assert_eq!(
            f.get_error_message(),
            "A user callback (data_received) panicked: boom"
        );
        let f = Failure::from_panic("timer", Box::new(String::from("bang")));
        assert!(f.get_error_message().ends_with("bang"));
    }
}
