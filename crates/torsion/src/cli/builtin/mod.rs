//! The plugins the `torsion` command ships with.

mod chat;
mod echo;
mod portforward;
mod qotd;
mod reverse;

use super::Plugin;

/// The built-in plugins: `echo`, `qotd`, `chat`, `reverse` and `portforward`. Every
/// server plugin takes `--port` and `--listen DESCRIPTION` (repeatable).
pub fn builtin_plugins() -> Vec<Plugin> {
    vec![
        echo::plugin(),
        qotd::plugin(),
        chat::plugin(),
        reverse::plugin(),
        portforward::plugin(),
    ]
}
