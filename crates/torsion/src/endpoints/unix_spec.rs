//! The UNIX endpoint types: [`UnixServerSpec`] (`unix:` servers) and [`UnixClientSpec`]
//! (`unix:` clients), plain data built from descriptions.

use std::time::Duration;

use super::{Description, DescriptionError};
use crate::{UnixAddress, UnixConnectOptions, UnixListenOptions};

/// A `unix:` server description (Twisted's `UNIXServerEndpoint` string form):
/// `unix:ADDRESS` or `unix:address=ADDRESS`, with `mode` (octal, default `666`),
/// `backlog` (default 50) and `lockfile` (`1`, the default, or `0`: keep a pid lock file
/// beside the socket and take over a dead listener's socket, see
/// [`UnixListenOptions::want_pid`]).
///
/// # Examples
///
/// ```
/// use torsion::endpoints::{server_spec_from_string, ServerSpec};
/// use torsion::UnixAddress;
///
/// let ServerSpec::Unix(spec) = server_spec_from_string("unix:address=/run/app.sock:mode=660:lockfile=0")? else {
///     unreachable!()
/// };
/// assert_eq!(spec.address(), &UnixAddress::Path("/run/app.sock".into()));
/// assert_eq!(spec.listen_options().mode, 0o660);
/// assert!(!spec.listen_options().want_pid);
/// # Ok::<(), torsion::endpoints::DescriptionError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixServerSpec {
    address: UnixAddress,
    mode: u32,
    backlog: i32,
    lockfile: bool,
}

impl UnixServerSpec {
    /// Reads a `unix:` server description: `address` (positional or keyword), `mode`,
    /// `backlog`, `lockfile`.
    ///
    /// # Errors
    ///
    /// A missing or empty address, a mode that is not octal, a backlog or lockfile that is
    /// not a number, or an unknown argument.
    pub fn parse_unix(description: &Description) -> Result<UnixServerSpec, DescriptionError> {
        let mut args = description.arguments();
        let address = args.required("address", Some(0))?;
        if address.is_empty() {
            return Err(args.invalid("address", address, "is empty"));
        }
        let mode = match args.take_kw("mode") {
            None => 0o666,
            Some(text) => u32::from_str_radix(text, 8)
                .ok()
                .filter(|m| *m <= 0o7777)
                .ok_or_else(|| args.invalid("mode", text, "is not an octal file mode"))?,
        };
        let backlog = args.i32("backlog", None)?.unwrap_or(50);
        let lockfile = args.bool("lockfile", None)?.unwrap_or(true);
        args.finish()?;
        Ok(UnixServerSpec {
            address: UnixAddress::from(address),
            mode,
            backlog,
            lockfile,
        })
    }

    /// The socket's name.
    pub fn address(&self) -> &UnixAddress {
        &self.address
    }

    /// The options `listen_unix_with` takes.
    pub fn listen_options(&self) -> UnixListenOptions {
        UnixListenOptions {
            mode: self.mode,
            want_pid: self.lockfile,
            backlog: self.backlog,
        }
    }
}

/// A `unix:` client description (Twisted's `UNIXClientEndpoint` string form):
/// `unix:PATH` or `unix:path=PATH`, with `timeout` (seconds, default 30) and `checkPID`
/// (`0`, the default, or `1`; `lockfile` is another name for it).
///
/// # Examples
///
/// ```
/// use torsion::endpoints::{client_spec_from_string, ClientSpec};
/// use std::time::Duration;
///
/// let ClientSpec::Unix(spec) = client_spec_from_string("unix:path=/run/app.sock:timeout=5:checkPID=1")? else {
///     unreachable!()
/// };
/// assert_eq!(spec.connect_options().timeout, Some(Duration::from_secs(5)));
/// assert!(spec.connect_options().check_pid);
/// # Ok::<(), torsion::endpoints::DescriptionError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixClientSpec {
    address: UnixAddress,
    timeout: Duration,
    check_pid: bool,
}

impl UnixClientSpec {
    /// Reads a `unix:` client description: `path` (positional or keyword), `timeout`,
    /// `checkPID` (or `lockfile`).
    ///
    /// # Errors
    ///
    /// A missing or empty path, a timeout that is not a number of seconds, a `checkPID`
    /// that is not `0` or `1`, or an unknown argument.
    pub fn parse_unix(description: &Description) -> Result<UnixClientSpec, DescriptionError> {
        let mut args = description.arguments();
        let path = args.required("path", Some(0))?;
        if path.is_empty() {
            return Err(args.invalid("path", path, "is empty"));
        }
        let timeout = args
            .seconds("timeout", None)?
            .unwrap_or(Duration::from_secs(30));
        let check_pid = match args.bool("checkPID", None)? {
            Some(check) => check,
            None => args.bool("lockfile", None)?.unwrap_or(false),
        };
        args.finish()?;
        Ok(UnixClientSpec {
            address: UnixAddress::from(path),
            timeout,
            check_pid,
        })
    }

    /// The socket's name.
    pub fn address(&self) -> &UnixAddress {
        &self.address
    }

    /// The options `connect_unix_with` takes.
    pub fn connect_options(&self) -> UnixConnectOptions {
        UnixConnectOptions {
            timeout: Some(self.timeout),
            check_pid: self.check_pid,
        }
    }
}
