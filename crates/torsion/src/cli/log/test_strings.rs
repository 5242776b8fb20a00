//! Strings for the formats' property tests.

use proptest::prelude::*;

/// Any string, or one made mostly of what needs escaping (newlines, quotes, backslashes,
/// control characters), which `any` seldom produces.
pub(super) fn tricky() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        r#"[a \n\r\t"\\\x00-\x1f\x7f\u{2028}é]{0,24}"#,
    ]
}
