//! [`Registry`]: endpoint type names mapped to the parsers that build endpoints of them.

use std::fmt;

use super::{Description, DescriptionError};

/// Builds a `T` from a description whose type it was registered for, or says why not.
pub type Parser<T> = fn(&Description) -> Result<T, DescriptionError>;

/// Endpoint type names (`tcp`, `tcp6`, `unix`, `ssl`, `tls`, ...) mapped to parsers that
/// build a `T` from a [`Description`]: Twisted's `serverFromString` and `clientFromString`
/// tables and plugins in one value, generic over what the parsers build.
///
/// Names match case-insensitively. The default tables ([`with_defaults`](Registry::with_defaults))
/// are extended or overridden with [`register`](Registry::register).
///
/// # Examples
///
/// ```
/// use torsion::endpoints::{Description, DescriptionError, Registry, ServerSpec, TcpServerSpec};
///
/// // A registry of your own, building your own values.
/// fn parse_echo(d: &Description) -> Result<u16, DescriptionError> {
///     let mut args = d.arguments();
///     let port = args.port(0)?;
///     args.finish()?;
///     Ok(port)
/// }
/// let mut registry = Registry::new();
/// registry.register("echo", parse_echo);
/// assert_eq!(registry.parse("ECHO:7")?, 7);
/// assert_eq!(
///     registry.parse("ehco:7").unwrap_err().to_string(),
///     r#"unknown endpoint type "ehco" in "ehco:7" (known: echo)"#
/// );
///
/// // The default server registry, extended with an alias.
/// let mut servers: Registry<ServerSpec> = Registry::with_defaults();
/// servers.register("tcp4", |d| TcpServerSpec::parse_tcp(d).map(ServerSpec::Tcp));
/// assert_eq!(servers.parse("tcp4:8080")?, servers.parse("tcp:8080")?);
/// assert_eq!(servers.names().collect::<Vec<_>>(), ["tcp", "tcp6", "unix", "ssl", "tcp4"]);
/// # Ok::<(), DescriptionError>(())
/// ```
pub struct Registry<T> {
    parsers: Vec<(String, Parser<T>)>,
}

/// What the default tables of a [`Registry`] build, and how to fill them.
pub trait DefaultParsers: Sized {
    /// Registers the parsers a `Registry<Self>` starts with.
    fn register_defaults(registry: &mut Registry<Self>);
}

impl<T> Registry<T> {
    /// An empty registry.
    pub fn new() -> Registry<T> {
        Registry {
            parsers: Vec::new(),
        }
    }

    /// Registers `parser` for endpoint type `name` (matched case-insensitively), replacing
    /// the parser that type had, if any.
    pub fn register(&mut self, name: &str, parser: Parser<T>) -> &mut Registry<T> {
        let name = name.to_ascii_lowercase();
        match self.parsers.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = parser,
            None => self.parsers.push((name, parser)),
        }
        self
    }

    /// The registered type names, lower-case, in the order first registered.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.parsers.iter().map(|(n, _)| n.as_str())
    }

    /// Parses `text` as a [`Description`] and builds a `T` with its type's parser.
    ///
    /// # Errors
    ///
    /// Fails when the description does not parse, its type is not registered, or the
    /// type's parser rejects its arguments.
    pub fn parse(&self, text: &str) -> Result<T, DescriptionError> {
        self.parse_description(&Description::parse(text)?)
    }

    /// Builds a `T` from `description` with its type's parser.
    ///
    /// # Errors
    ///
    /// Fails when its type is not registered or the type's parser rejects its arguments.
    /// The unknown-type error lists the known types, and when the type looks like a port
    /// number (`8080`), suggests `tcp:8080`: old Twisted read a bare port as TCP, which
    /// torsion, like Twisted today, does not.
    pub fn parse_description(&self, description: &Description) -> Result<T, DescriptionError> {
        let kind = description.kind();
        let parser = self
            .parsers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(kind))
            .map(|&(_, parser)| parser);
        match parser {
            Some(parser) => parser(description),
            None => Err(self.unknown(description)),
        }
    }

    fn unknown(&self, description: &Description) -> DescriptionError {
        let kind = description.kind();
        let known: Vec<&str> = self.names().collect();
        let mut detail = if known.is_empty() {
            "(no endpoint types are registered)".to_string()
        } else {
            format!("(known: {})", known.join(", "))
        };
        let bare_port = kind.bytes().all(|b| b.is_ascii_digit());
        if bare_port && known.contains(&"tcp") {
            detail.push_str(&format!(
                "; did you mean {:?}?",
                format!("tcp:{}", description.text())
            ));
        }
        DescriptionError::new(
            description.text(),
            format!("unknown endpoint type {kind:?}"),
            detail,
        )
    }
}

impl<T: DefaultParsers> Registry<T> {
    /// A registry holding the parsers of `T`'s default table (for
    /// [`ServerSpec`](super::ServerSpec): `tcp`, `tcp6`, `unix` and `ssl`; for
    /// [`ClientSpec`](super::ClientSpec): `tcp`, `unix`, `tls` and `ssl`).
    pub fn with_defaults() -> Registry<T> {
        let mut registry = Registry::new();
        T::register_defaults(&mut registry);
        registry
    }
}

impl<T> Default for Registry<T> {
    fn default() -> Registry<T> {
        Registry::new()
    }
}

impl<T> Clone for Registry<T> {
    fn clone(&self) -> Registry<T> {
        Registry {
            parsers: self.parsers.clone(),
        }
    }
}

impl<T> fmt::Debug for Registry<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("types", &self.names().collect::<Vec<_>>())
            .finish()
    }
}
