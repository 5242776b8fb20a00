//! [`Arguments`]: takes a description's arguments one by one, converting each, and
//! complains about the ones nobody took.

use std::fmt;
use std::time::Duration;

use super::{Description, DescriptionError};

/// A cursor over a [`Description`]'s arguments, for an endpoint type's parser: each `take`
/// marks an argument used, and [`finish`](Arguments::finish) fails on any argument left,
/// so a misspelt keyword is an error rather than silently ignored.
///
/// An argument may be given by position or by keyword (`tcp:80` or `tcp:port=80`), as a
/// Python function's arguments can; giving it both ways is an error. Conversion errors
/// name the argument, its text and the description.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use torsion::endpoints::Description;
///
/// let d = Description::parse("echo:7:timeout=2.5:verbose=yes")?;
/// let mut a = d.arguments();
/// assert_eq!(a.port(0)?, 7);
/// assert_eq!(a.seconds("timeout", None)?, Some(Duration::from_millis(2500)));
/// assert_eq!(a.bool("verbose", None)?, Some(true));
/// assert_eq!(a.i32("backlog", Some(1))?, None, "not given");
/// a.finish()?;
///
/// let d = Description::parse("echo:7:verbos=yes")?;
/// let mut a = d.arguments();
/// a.port(0)?;
/// a.bool("verbose", None)?;
/// assert_eq!(
///     a.finish().unwrap_err().to_string(),
///     r#"unknown keyword "verbos" in "echo:7:verbos=yes" (expected: port, verbose)"#
/// );
/// # Ok::<(), torsion::endpoints::DescriptionError>(())
/// ```
#[derive(Debug)]
pub struct Arguments<'a> {
    description: &'a Description,
    args_taken: Vec<bool>,
    kwargs_taken: Vec<bool>,
    asked: Vec<String>,
}

impl<'a> Arguments<'a> {
    pub(super) fn new(description: &'a Description) -> Arguments<'a> {
        Arguments {
            description,
            args_taken: vec![false; description.args().len()],
            kwargs_taken: vec![false; description.kwargs().len()],
            asked: Vec::new(),
        }
    }

    /// Takes argument `name`, given either as keyword `name` or as the positional argument
    /// at `index` (0 is the first after the type), or `None` if it was given neither way.
    ///
    /// # Errors
    ///
    /// Fails when it was given both ways.
    pub fn take_positional_or_kw(
        &mut self,
        name: &str,
        index: usize,
    ) -> Result<Option<&'a str>, DescriptionError> {
        self.take(name, Some(index))
    }

    /// Takes keyword argument `name`, or `None` if it was not given.
    pub fn take_kw(&mut self, name: &str) -> Option<&'a str> {
        self.note(name);
        let kwargs = self.description.kwargs();
        let found = kwargs.iter().position(|(k, _)| k == name)?;
        self.kwargs_taken[found] = true;
        Some(kwargs[found].1.as_str())
    }

    /// Takes argument `name` (as a keyword, or at position `index` when there is one), and
    /// fails if it is absent: the error reads `missing NAME in "..."`.
    ///
    /// # Errors
    ///
    /// Fails when it is absent or was given both ways.
    pub fn required(
        &mut self,
        name: &str,
        index: Option<usize>,
    ) -> Result<&'a str, DescriptionError> {
        self.take(name, index)?
            .ok_or_else(|| DescriptionError::new(self.text(), format!("missing {name}"), ""))
    }

    /// Takes the required argument `port` (keyword, or position `index`) as a port number.
    ///
    /// # Errors
    ///
    /// Fails when it is absent, given twice, not a number, or above 65535.
    pub fn port(&mut self, index: usize) -> Result<u16, DescriptionError> {
        let text = self.required("port", Some(index))?;
        self.integer("port", text)
    }

    /// Takes argument `name` as a `u16`, or `None` if it was not given.
    ///
    /// # Errors
    ///
    /// Fails when it is given twice, not a decimal number, or out of range.
    pub fn u16(
        &mut self,
        name: &str,
        index: Option<usize>,
    ) -> Result<Option<u16>, DescriptionError> {
        self.convert(name, index, Self::integer)
    }

    /// Takes argument `name` as an `i32`, or `None` if it was not given.
    ///
    /// # Errors
    ///
    /// Fails when it is given twice, not a decimal number, or out of range.
    pub fn i32(
        &mut self,
        name: &str,
        index: Option<usize>,
    ) -> Result<Option<i32>, DescriptionError> {
        self.convert(name, index, Self::integer)
    }

    /// Takes argument `name` as a finite `f64`, or `None` if it was not given.
    ///
    /// # Errors
    ///
    /// Fails when it is given twice, or is not a finite number.
    pub fn f64(
        &mut self,
        name: &str,
        index: Option<usize>,
    ) -> Result<Option<f64>, DescriptionError> {
        self.convert(name, index, |a, name, text| match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(n),
            _ => Err(a.invalid(name, text, "is not a number")),
        })
    }

    /// Takes argument `name` as a duration in seconds, whole or fractional (`30`, `2.5`),
    /// or `None` if it was not given.
    ///
    /// # Errors
    ///
    /// Fails when it is given twice, or is not a non-negative number of seconds that a
    /// [`Duration`] can hold.
    pub fn seconds(
        &mut self,
        name: &str,
        index: Option<usize>,
    ) -> Result<Option<Duration>, DescriptionError> {
        self.convert(name, index, |a, name, text| {
            text.parse::<f64>()
                .ok()
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .ok_or_else(|| a.invalid(name, text, "is not a number of seconds"))
        })
    }

    /// Takes argument `name` as a boolean, or `None` if it was not given: `1`, `true`,
    /// `yes` or `on` is true, `0`, `false`, `no` or `off` false, in any case.
    ///
    /// # Errors
    ///
    /// Fails when it is given twice, or is none of those words.
    pub fn bool(
        &mut self,
        name: &str,
        index: Option<usize>,
    ) -> Result<Option<bool>, DescriptionError> {
        self.convert(name, index, |a, name, text| {
            match text.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(a.invalid(name, text, "is not a boolean (use 1 or 0)")),
            }
        })
    }

    /// An error about argument `name` whose text is `value`, reading
    /// `NAME "VALUE" in "DESCRIPTION" WHY`, for parsers' own checks.
    pub fn invalid(&self, name: &str, value: &str, why: impl fmt::Display) -> DescriptionError {
        DescriptionError::new(self.text(), format!("{name} {value:?}"), why)
    }

    /// Ends the parse: succeeds only if every argument was taken.
    ///
    /// # Errors
    ///
    /// Fails on the first positional argument left (`unexpected argument "x" in ...`), or
    /// else the first keyword left (`unknown keyword "x" in ... (expected: a, b)`).
    pub fn finish(self) -> Result<(), DescriptionError> {
        let d = self.description;
        if let Some(i) = self.args_taken.iter().position(|taken| !taken) {
            let problem = format!("unexpected argument {:?}", d.args()[i]);
            return Err(DescriptionError::new(d.text(), problem, ""));
        }
        if let Some(i) = self.kwargs_taken.iter().position(|taken| !taken) {
            let problem = format!("unknown keyword {:?}", d.kwargs()[i].0);
            let expected = if self.asked.is_empty() {
                "(it takes none)".to_string()
            } else {
                format!("(expected: {})", self.asked.join(", "))
            };
            return Err(DescriptionError::new(d.text(), problem, expected));
        }
        Ok(())
    }

    fn take(
        &mut self,
        name: &str,
        index: Option<usize>,
    ) -> Result<Option<&'a str>, DescriptionError> {
        let by_keyword = self.take_kw(name);
        let args = self.description.args();
        let by_position = index.filter(|&i| i < args.len() && !self.args_taken[i]);
        match (by_keyword, by_position) {
            (Some(kw), Some(i)) => Err(DescriptionError::new(
                self.text(),
                format!("{name} given twice"),
                format!("(as {:?} and as {name}={kw:?})", args[i]),
            )),
            (Some(kw), None) => Ok(Some(kw)),
            (None, Some(i)) => {
                self.args_taken[i] = true;
                Ok(Some(args[i].as_str()))
            }
            (None, None) => Ok(None),
        }
    }

    fn convert<T>(
        &mut self,
        name: &str,
        index: Option<usize>,
        parse: impl FnOnce(&Self, &str, &str) -> Result<T, DescriptionError>,
    ) -> Result<Option<T>, DescriptionError> {
        match self.take(name, index)? {
            Some(text) => parse(self, name, text).map(Some),
            None => Ok(None),
        }
    }

    /// Parses a decimal integer, telling "not a number" from "out of range".
    fn integer<T: TryFrom<i128> + Bounded>(
        &self,
        name: &str,
        text: &str,
    ) -> Result<T, DescriptionError> {
        let wide = match text.parse::<i128>() {
            Ok(n) => Some(n),
            Err(_) if is_decimal(text) => None,
            Err(_) => return Err(self.invalid(name, text, "is not a number")),
        };
        wide.and_then(|n| T::try_from(n).ok()).ok_or_else(|| {
            let range = format!("is out of range ({} to {})", T::MIN, T::MAX);
            self.invalid(name, text, range)
        })
    }

    fn note(&mut self, name: &str) {
        if !self.asked.iter().any(|n| n == name) {
            self.asked.push(name.to_string());
        }
    }

    fn text(&self) -> &'a str {
        self.description.text()
    }
}

/// Digits, after an optional sign: a number, if perhaps a huge one.
fn is_decimal(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// An integer type's bounds, for "out of range" messages.
trait Bounded: fmt::Display + Sized {
    const MIN: Self;
    const MAX: Self;
}

impl Bounded for u16 {
    const MIN: u16 = u16::MIN;
    const MAX: u16 = u16::MAX;
}

impl Bounded for i32 {
    const MIN: i32 = i32::MIN;
    const MAX: i32 = i32::MAX;
}
