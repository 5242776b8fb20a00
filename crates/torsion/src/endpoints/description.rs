//! [`Description`]: an endpoint description split into its type, positional arguments and
//! keyword arguments; [`DescriptionError`]: why one could not be used.

use std::fmt;

use super::Arguments;

/// An endpoint description, parsed: the endpoint type, then its positional and keyword
/// arguments, in the order written, with escapes resolved.
///
/// See the [module docs](super) for the syntax. Parsing checks only the syntax; what the
/// arguments mean is up to the type's parser, which reads them through
/// [`arguments`](Description::arguments).
///
/// # Examples
///
/// ```
/// use torsion::endpoints::Description;
///
/// let d = Description::parse(r"unix:/tmp/a\:b.sock:mode=660:note=x=y")?;
/// assert_eq!(d.kind(), "unix");
/// assert_eq!(d.args(), ["/tmp/a:b.sock"]);
/// assert_eq!(d.kwarg("mode"), Some("660"));
/// assert_eq!(d.kwarg("note"), Some("x=y"), "a value may hold '=' as it is");
/// # Ok::<(), torsion::endpoints::DescriptionError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    text: String,
    kind: String,
    args: Vec<String>,
    kwargs: Vec<(String, String)>,
}

/// One `:`-separated part, escapes resolved.
enum Part {
    Positional(String),
    Keyword(String, String),
}

impl Description {
    /// Parses `text`: splits it on unescaped `:`, resolves backslash escapes, and splits
    /// each part on its first unescaped `=` into a keyword and its value.
    ///
    /// # Errors
    ///
    /// Fails when `text` is empty, its first part is empty or a keyword argument, it ends
    /// in a lone backslash, a keyword name is empty, or a keyword appears twice.
    pub fn parse(text: &str) -> Result<Description, DescriptionError> {
        let error = |problem: String| Err(DescriptionError::new(text, problem, ""));
        if text.is_empty() {
            return error("empty endpoint description".into());
        }
        let mut parts = split(text)?.into_iter();
        let kind = match parts.next() {
            Some(Part::Positional(kind)) if !kind.is_empty() => kind,
            Some(Part::Keyword(key, value)) => {
                return Err(DescriptionError::new(
                    text,
                    "missing endpoint type",
                    format!(
                        "(it must come first, before {:?})",
                        format!("{key}={value}")
                    ),
                ));
            }
            _ => return error("missing endpoint type".into()),
        };
        let mut args = Vec::new();
        let mut kwargs: Vec<(String, String)> = Vec::new();
        for part in parts {
            match part {
                Part::Positional(arg) => args.push(arg),
                Part::Keyword(key, _) if key.is_empty() => {
                    return error("empty keyword name".into());
                }
                Part::Keyword(key, _) if kwargs.iter().any(|(k, _)| *k == key) => {
                    return error(format!("duplicate keyword {key:?}"));
                }
                Part::Keyword(key, value) => kwargs.push((key, value)),
            }
        }
        Ok(Description {
            text: text.to_string(),
            kind,
            args,
            kwargs,
        })
    }

    /// The text this was parsed from, as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The endpoint type: the first part (`tcp`), as written.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The positional arguments after the type, in order.
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// The keyword arguments as `(name, value)` pairs, in order; each name appears once.
    pub fn kwargs(&self) -> &[(String, String)] {
        &self.kwargs
    }

    /// The value of keyword `name`, if it was given.
    pub fn kwarg(&self, name: &str) -> Option<&str> {
        self.kwargs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A cursor that takes the arguments one by one, converting them, and at the end
    /// complains about any argument nobody took.
    pub fn arguments(&self) -> Arguments<'_> {
        Arguments::new(self)
    }
}

/// Splits `text` into parts. An `=` ends a part's keyword only the first time: after it,
/// only `:` is special, so a value may hold `=` unescaped.
fn split(text: &str) -> Result<Vec<Part>, DescriptionError> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut key: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => current.push(escaped),
                None => return Err(DescriptionError::new(text, "trailing backslash", "")),
            },
            ':' => parts.push(part(key.take(), std::mem::take(&mut current))),
            '=' if key.is_none() => key = Some(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(part(key, current));
    Ok(parts)
}

fn part(key: Option<String>, text: String) -> Part {
    match key {
        Some(key) => Part::Keyword(key, text),
        None => Part::Positional(text),
    }
}

/// Escapes `argument` so that it reads back as one argument, positional or keyword value:
/// puts a backslash before each `\`, `:` and `=` (Twisted's `quoteStringArgument`, which
/// also escapes `=` here so that positional text stays positional).
///
/// # Examples
///
/// ```
/// use torsion::endpoints::{quote_argument, Description};
///
/// let path = r"C:\keys\a=b.pem";
/// assert_eq!(quote_argument(path), r"C\:\\keys\\a\=b.pem");
/// let d = Description::parse(&format!("tls:443:privateKey={}", quote_argument(path)))?;
/// assert_eq!(d.kwarg("privateKey"), Some(path));
/// # Ok::<(), torsion::endpoints::DescriptionError>(())
/// ```
pub fn quote_argument(argument: &str) -> String {
    let mut quoted = String::with_capacity(argument.len());
    for c in argument.chars() {
        if matches!(c, '\\' | ':' | '=') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted
}

/// Why an endpoint description could not be used: names the bad part, the description it
/// is in, and what is wrong with it.
///
/// # Examples
///
/// ```
/// use torsion::endpoints::server_spec_from_string;
///
/// let err = server_spec_from_string("tcp:80x").unwrap_err();
/// assert_eq!(err.to_string(), r#"port "80x" in "tcp:80x" is not a number"#);
/// assert_eq!(err.description(), "tcp:80x");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescriptionError {
    description: String,
    message: String,
}

impl DescriptionError {
    /// An error about `description`, reading `{problem} in "{description}" {detail}`
    /// (without the detail when it is empty), for example `problem` = `port "80x"` and
    /// `detail` = `is not a number`.
    pub fn new(
        description: &str,
        problem: impl fmt::Display,
        detail: impl fmt::Display,
    ) -> DescriptionError {
        let mut message = format!("{problem} in {description:?}");
        let detail = detail.to_string();
        if !detail.is_empty() {
            message.push(' ');
            message.push_str(&detail);
        }
        DescriptionError {
            description: description.to_string(),
            message,
        }
    }

    /// The description the error is about, as given.
    pub fn description(&self) -> &str {
        &self.description
    }
}

impl fmt::Display for DescriptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DescriptionError {}
