//! [`DuplicateServiceName`]: the error of adding a second child under a taken name.

use std::error::Error;
use std::fmt;

/// A [`MultiService`](super::MultiService) already holds a child with this name; the new
/// child was not added (Twisted raises `RuntimeError` in `addService`).
///
/// # Examples
///
/// ```
/// use torsion::application::{MultiService, Service};
///
/// let parent = MultiService::new();
/// parent.add_service(MultiService::new().named("a"))?;
/// let err = parent.add_service(MultiService::new().named("a")).unwrap_err();
/// assert_eq!(err.name(), "a");
/// assert_eq!(err.to_string(), r#"a service named "a" is already there"#);
/// # Ok::<(), torsion::application::DuplicateServiceName>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateServiceName {
    name: String,
}

impl DuplicateServiceName {
    pub(super) fn new(name: &str) -> DuplicateServiceName {
        DuplicateServiceName {
            name: name.to_owned(),
        }
    }

    /// The name that was taken.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for DuplicateServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a service named {:?} is already there", self.name)
    }
}

impl Error for DuplicateServiceName {}
