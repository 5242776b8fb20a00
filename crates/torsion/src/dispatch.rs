//! [`commands!`](crate::commands): command words mapped to methods at compile time (the
//! seeds' `handle_<word>` dispatch by name, without run-time reflection).

use std::fmt;

/// Why a line was not dispatched to a command method, for the unknown-command hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DispatchError {
    /// The line was empty (or blank).
    Empty,
    /// No command has this word.
    Unknown(String),
    /// The command's argument `name` was missing.
    MissingArgument {
        /// The command word.
        command: &'static str,
        /// The argument's name.
        name: &'static str,
    },
    /// The command's argument `name` did not parse as its type.
    BadArgument {
        /// The command word.
        command: &'static str,
        /// The argument's name.
        name: &'static str,
        /// The text given.
        value: String,
    },
    /// More words than the command takes.
    ExtraArguments {
        /// The command word.
        command: &'static str,
    },
}

impl fmt::Display for DispatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DispatchError::Empty => f.write_str("empty command"),
            DispatchError::Unknown(word) => write!(f, "unknown command {word:?}"),
            DispatchError::MissingArgument { command, name } => {
                write!(f, "{command}: missing argument {name}")
            }
            DispatchError::BadArgument {
                command,
                name,
                value,
            } => write!(f, "{command}: argument {name} cannot be {value:?}"),
            DispatchError::ExtraArguments { command } => {
                write!(f, "{command}: too many arguments")
            }
        }
    }
}

impl std::error::Error for DispatchError {}

/// Generates a method that splits a command line into words, finds the method of the first
/// word, parses the next words into its arguments (with [`FromStr`](std::str::FromStr)), and
/// calls it; a line that names no command, or whose arguments do not parse, goes to the
/// unknown-command hook with the whole line and a [`DispatchError`]. The mapping is a `match` made at compile
/// time: two commands with the same word are a compile error (`unreachable_patterns` is
/// denied), and a word whose method does not exist or takes other arguments does not compile.
///
/// A final argument written `rest: &str` takes the remainder of the line, spaces included.
///
/// # Examples
///
/// ```
/// use torsion::dispatch::DispatchError;
///
/// #[derive(Default)]
/// struct Calculator {
///     out: Vec<String>,
/// }
///
/// impl Calculator {
///     torsion::commands! {
///         /// Runs one command line.
///         pub fn run_line(&mut self, scale: &mut i64, line);
///         "add" => add(a: i64, b: i64),
///         "say" => say(rest: &str),
///         "quit" => quit(),
///         _ => unknown,
///     }
///
///     fn add(&mut self, scale: &mut i64, a: i64, b: i64) {
///         self.out.push(((a + b) * *scale).to_string());
///     }
///     fn say(&mut self, _scale: &mut i64, text: &str) {
///         self.out.push(text.to_string());
///     }
///     fn quit(&mut self, _scale: &mut i64) {
///         self.out.push("bye".into());
///     }
///     fn unknown(&mut self, _scale: &mut i64, _line: &str, error: DispatchError) {
///         self.out.push(error.to_string());
///     }
/// }
///
/// let mut calc = Calculator::default();
/// let mut scale = 10;
/// calc.run_line(&mut scale, "add 1 2");
/// calc.run_line(&mut scale, "say hello  world");
/// calc.run_line(&mut scale, "add 1 x");
/// calc.run_line(&mut scale, "jump");
/// assert_eq!(
///     calc.out,
///     ["30", "hello  world", "add: argument b cannot be \"x\"", "unknown command \"jump\""]
/// );
/// ```
///
/// A duplicate word does not compile:
///
/// ```compile_fail
/// struct Twice;
/// impl Twice {
///     torsion::commands! {
///         fn run(&mut self, cx: &mut (), line);
///         "go" => go(),
///         "go" => go(),
///         _ => unknown,
///     }
///     fn go(&mut self, _cx: &mut ()) {}
///     fn unknown(&mut self, _cx: &mut (), _line: &str, _e: torsion::dispatch::DispatchError) {}
/// }
/// ```
#[macro_export]
macro_rules! commands {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident(&mut self, $cx:ident : $cx_ty:ty, $line:ident);
        $( $word:literal => $method:ident ( $( $arg:ident : $arg_ty:ty ),* ) ),+ ,
        _ => $unknown:ident $(,)?
    ) => {
        $(#[$meta])*
        #[deny(unreachable_patterns)]
        $vis fn $name(&mut self, $cx: $cx_ty, $line: &str) {
            let line = $line.trim_start();
            // `rest` is mutated only by commands that take arguments.
            #[allow(unused_mut)]
            let (command, mut rest) = match line.find(char::is_whitespace) {
                Some(at) => (&line[..at], line[at..].trim_start()),
                None => (line, ""),
            };
            match command {
                "" => self.$unknown($cx, $line, $crate::dispatch::DispatchError::Empty),
                $(
                    $word => {
                        $(
                            let $arg: $arg_ty = match $crate::dispatch::next_argument(
                                $word,
                                stringify!($arg),
                                stringify!($arg_ty),
                                &mut rest,
                            ) {
                                Ok(value) => value,
                                Err(error) => return self.$unknown($cx, $line, error),
                            };
                        )*
                        if !rest.trim().is_empty() {
                            return self.$unknown(
                                $cx,
                                $line,
                                $crate::dispatch::DispatchError::ExtraArguments { command: $word },
                            );
                        }
                        self.$method($cx $(, $arg)*)
                    }
                )+
                other => self.$unknown(
                    $cx,
                    $line,
                    $crate::dispatch::DispatchError::Unknown(other.to_string()),
                ),
            }
        }
    };
}

/// Takes the next argument off `rest` for the `commands!` macro: the rest of the line for
/// an `&str` argument, else one word parsed as `T`.
///
/// # Errors
///
/// [`DispatchError::MissingArgument`] or [`DispatchError::BadArgument`].
#[doc(hidden)]
pub fn next_argument<'a, T: ArgumentValue<'a>>(
    command: &'static str,
    name: &'static str,
    type_name: &'static str,
    rest: &mut &'a str,
) -> Result<T, DispatchError> {
    T::take(rest, type_name).map_err(|missing| {
        if missing {
            DispatchError::MissingArgument { command, name }
        } else {
            DispatchError::BadArgument {
                command,
                name,
                value: rest.split_whitespace().next().unwrap_or("").to_string(),
            }
        }
    })
}

/// What a `commands!` argument may be: `&str` (the rest of the line) or any
/// [`FromStr`](std::str::FromStr) type (one word).
#[doc(hidden)]
pub trait ArgumentValue<'a>: Sized {
    /// Takes the value off `rest`; `Err(true)` if nothing is left, `Err(false)` if what is
    /// there does not parse (then `rest` is left as it was).
    fn take(rest: &mut &'a str, type_name: &'static str) -> Result<Self, bool>;
}

impl<'a> ArgumentValue<'a> for &'a str {
    fn take(rest: &mut &'a str, _type_name: &'static str) -> Result<&'a str, bool> {
        let all = std::mem::take(rest);
        if all.is_empty() {
            Err(true)
        } else {
            Ok(all)
        }
    }
}

macro_rules! word_arguments {
    ($($t:ty),*) => {
        $(
            impl<'a> ArgumentValue<'a> for $t {
                fn take(rest: &mut &'a str, _type_name: &'static str) -> Result<$t, bool> {
                    let (word, after) = match rest.find(char::is_whitespace) {
                        Some(at) => (&rest[..at], rest[at..].trim_start()),
                        None => (*rest, ""),
                    };
                    if word.is_empty() {
                        return Err(true);
                    }
                    let value = word.parse::<$t>().map_err(|_| false)?;
                    *rest = after;
                    Ok(value)
                }
            }
        )*
    };
}

word_arguments!(
    String,
    bool,
    char,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    std::net::IpAddr,
    std::net::SocketAddr,
    std::path::PathBuf
);

#[cfg(test)]
mod tests {
    use super::DispatchError;

    #[derive(Default)]
    struct Shell {
        log: Vec<String>,
    }

    impl Shell {
        crate::commands! {
            fn run(&mut self, prefix: &str, line);
            "echo" => echo(text: &str),
            "move" => move_to(x: i32, y: i32),
            "name" => name(who: String),
            "stop" => stop(),
            _ => unknown,
        }

        fn echo(&mut self, prefix: &str, text: &str) {
            self.log.push(format!("{prefix}{text}"));
        }
        fn move_to(&mut self, prefix: &str, x: i32, y: i32) {
            self.log.push(format!("{prefix}{x},{y}"));
        }
        fn name(&mut self, prefix: &str, who: String) {
            self.log.push(format!("{prefix}{who}"));
        }
        fn stop(&mut self, prefix: &str) {
            self.log.push(format!("{prefix}stop"));
        }
        fn unknown(&mut self, prefix: &str, line: &str, error: DispatchError) {
            self.log.push(format!("{prefix}? {error} in {line:?}"));
        }
    }

    fn run(lines: &[&str]) -> Vec<String> {
        let mut shell = Shell::default();
        for line in lines {
            shell.run("> ", line);
        }
        shell.log
    }

    #[test]
    fn words_reach_their_methods_with_parsed_arguments() {
        assert_eq!(
            run(&["echo  two  spaces ", "move -3 4", "name ada", "  stop"]),
            ["> two  spaces ", "> -3,4", "> ada", "> stop"]
        );
    }

    #[test]
    fn problems_reach_the_unknown_hook() {
        assert_eq!(
            run(&[
                "",
                "fly",
                "move 1",
                "move 1 two",
                "stop now",
                "echo",
                "STOP"
            ]),
            [
                "> ? empty command in \"\"",
                "> ? unknown command \"fly\" in \"fly\"",
                "> ? move: missing argument y in \"move 1\"",
                "> ? move: argument y cannot be \"two\" in \"move 1 two\"",
                "> ? stop: too many arguments in \"stop now\"",
                "> ? echo: missing argument text in \"echo\"",
                "> ? unknown command \"STOP\" in \"STOP\"",
            ]
        );
    }
}
