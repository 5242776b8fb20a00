use crate::endpoints::{quote_argument, Description};

fn parse(text: &str) -> Description {
    Description::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn error(text: &str) -> String {
    Description::parse(text).unwrap_err().to_string()
}

fn kwargs(d: &Description) -> Vec<(&str, &str)> {
    d.kwargs()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[test]
fn splits_type_positionals_and_keywords() {
    let d = parse("tcp:8000:interface=127.0.0.1");
    assert_eq!(d.kind(), "tcp");
    assert_eq!(d.args(), ["8000"]);
    assert_eq!(kwargs(&d), [("interface", "127.0.0.1")]);
    assert_eq!(d.text(), "tcp:8000:interface=127.0.0.1");
}

#[test]
fn positionals_and_keywords_may_interleave() {
    let d = parse("x:a:k=1:b:j=2");
    assert_eq!(d.args(), ["a", "b"]);
    assert_eq!(kwargs(&d), [("k", "1"), ("j", "2")]);
    assert_eq!(d.kwarg("j"), Some("2"));
    assert_eq!(d.kwarg("z"), None);
}

#[test]
fn a_type_alone_has_no_arguments() {
    let d = parse("tcp");
    assert_eq!(d.kind(), "tcp");
    assert!(d.args().is_empty());
    assert!(d.kwargs().is_empty());
}

#[test]
fn empty_parts_are_empty_positionals() {
    assert_eq!(parse("tcp::80:").args(), ["", "80", ""]);
    assert_eq!(parse("tcp:").args(), [""]);
}

#[test]
fn backslash_escapes_the_next_character() {
    assert_eq!(parse(r"unix:/tmp/a\:b").args(), ["/tmp/a:b"]);
    assert_eq!(
        parse(r"x:a\=b").args(),
        ["a=b"],
        "escaped '=' stays positional"
    );
    assert_eq!(parse(r"x:a\\b").args(), [r"a\b"]);
    assert_eq!(parse(r"x:\a\b").args(), ["ab"], "any character, as Twisted");
    assert_eq!(parse(r"x:a\\").args(), [r"a\"]);
    assert_eq!(parse(r"t\cp:1").kind(), "tcp");
}

#[test]
fn keywords_split_on_the_first_unescaped_equals() {
    let d = parse("x:k=a=b:j==");
    assert_eq!(kwargs(&d), [("k", "a=b"), ("j", "=")]);
    let d = parse(r"x:a\=b=c:k=v\:w");
    assert_eq!(kwargs(&d), [("a=b", "c"), ("k", "v:w")]);
    assert_eq!(kwargs(&parse("x:k=")), [("k", "")]);
}

#[test]
fn text_past_ascii_passes_through() {
    let d = parse("unix:/tmp/\u{e9}t\u{e9}\\:\u{1f600}:name=\u{3b1}");
    assert_eq!(d.args(), ["/tmp/\u{e9}t\u{e9}:\u{1f600}"]);
    assert_eq!(d.kwarg("name"), Some("\u{3b1}"));
}

#[test]
fn an_empty_description_is_refused() {
    assert_eq!(error(""), r#"empty endpoint description in """#);
}

#[test]
fn the_type_must_come_first_and_not_be_empty() {
    assert_eq!(error(":80"), r#"missing endpoint type in ":80""#);
    assert_eq!(
        error("port=80:tcp"),
        r#"missing endpoint type in "port=80:tcp" (it must come first, before "port=80")"#
    );
}

#[test]
fn a_trailing_backslash_is_refused() {
    assert_eq!(error(r"tcp:80\"), r#"trailing backslash in "tcp:80\\""#);
    assert_eq!(error("\\"), r#"trailing backslash in "\\""#);
}

#[test]
fn keywords_must_be_named_and_unique() {
    assert_eq!(error("tcp:=5"), r#"empty keyword name in "tcp:=5""#);
    assert_eq!(
        error("tcp:port=1:port=2"),
        r#"duplicate keyword "port" in "tcp:port=1:port=2""#
    );
}

#[test]
fn errors_carry_the_description() {
    let err = Description::parse("tcp:=5").unwrap_err();
    assert_eq!(err.description(), "tcp:=5");
}

#[test]
fn quote_argument_escapes_the_three_special_characters() {
    assert_eq!(quote_argument(r"a:b=c\d"), r"a\:b\=c\\d");
    assert_eq!(quote_argument("plain"), "plain");
    assert_eq!(quote_argument(""), "");
    let d = parse(&format!("x:{}", quote_argument("k=v")));
    assert_eq!(d.args(), ["k=v"]);
}
