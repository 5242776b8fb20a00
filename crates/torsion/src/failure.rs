//! [`Failure`]: an error that happened somewhere in the reactor, carried to whoever handles it.

use std::any::Any;
use std::error::Error as StdError;
use std::fmt;
use std::rc::Rc;

/// An error delivered to a callback: why a connection closed, why a connection attempt
/// failed, why a call could not be made.
///
/// A `Failure` wraps one typed error (see [`crate::error`]) and is cheap to clone. Test its
/// kind with [`check`](Failure::check), take it apart with [`downcast_ref`](Failure::downcast_ref)
/// or [`trap`](Failure::trap), and show it with [`get_error_message`](Failure::get_error_message)
/// or `Display` (`ConnectionDone: Connection was closed cleanly.`).
///
/// # Examples
///
/// ```
/// use torsion::{error::ConnectionDone, Failure};
///
/// let reason = Failure::new(ConnectionDone);
/// assert!(reason.check::<ConnectionDone>());
/// assert_eq!(reason.get_error_message(), "Connection was closed cleanly.");
/// assert_eq!(reason.to_string(), "ConnectionDone: Connection was closed cleanly.");
/// ```
#[derive(Clone)]
pub struct Failure {
    // One pointer pair, so a `Result<(), Failure>` comes back in registers.
    inner: Rc<Named<dyn StdError + 'static>>,
}

/// An error with its type's short name.
struct Named<E: ?Sized> {
    type_name: &'static str,
    error: E,
}

impl Failure {
    /// Wraps `error`.
    pub fn new<E: StdError + 'static>(error: E) -> Failure {
        Failure {
            inner: Rc::new(Named {
                type_name: short_type_name::<E>(),
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

    /// Whether the wrapped error is an `E`.
    pub fn check<E: StdError + 'static>(&self) -> bool {
        self.inner.error.is::<E>()
    }

    /// The wrapped error as an `E`, if it is one.
    pub fn downcast_ref<E: StdError + 'static>(&self) -> Option<&E> {
        self.inner.error.downcast_ref::<E>()
    }

    /// Handles the failure if it is an `E` (returns `Ok` with it) and passes it on otherwise
    /// (returns `Err(self)`), as Twisted's `trap` re-raises what it does not expect.
    ///
    /// # Errors
    ///
    /// Returns the failure itself when its error is not an `E`.
    pub fn trap<E: StdError + 'static>(self) -> Result<Failure, Failure> {
        if self.check::<E>() {
            Ok(self)
        } else {
            Err(self)
        }
    }

    /// The error's message alone (`Connection was closed cleanly.`).
    pub fn get_error_message(&self) -> String {
        self.inner.error.to_string()
    }

    /// The error type's short name (`ConnectionDone`).
    pub fn type_name(&self) -> &'static str {
        self.inner.type_name
    }

    /// The wrapped error.
    pub fn value(&self) -> &(dyn StdError + 'static) {
        &self.inner.error
    }
}

fn short_type_name<E>() -> &'static str {
    let full = std::any::type_name::<E>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.inner.type_name, &self.inner.error)
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[Failure {}: {}]",
            self.inner.type_name, &self.inner.error
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
    use crate::error::{ConnectionDone, ConnectionLost, TimeoutError};

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
