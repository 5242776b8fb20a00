use std::time::Duration;

use crate::endpoints::{Description, DescriptionError};

fn parse(text: &str) -> Description {
    Description::parse(text).unwrap()
}

fn message(result: Result<impl std::fmt::Debug, DescriptionError>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn an_argument_comes_by_position_or_keyword() {
    for text in ["x:80", "x:port=80"] {
        let d = parse(text);
        let mut a = d.arguments();
        assert_eq!(a.take_positional_or_kw("port", 0).unwrap(), Some("80"));
        a.finish().unwrap();
    }
    let d = parse("x");
    assert_eq!(
        d.arguments().take_positional_or_kw("port", 0).unwrap(),
        None
    );
}

#[test]
fn an_argument_given_both_ways_is_refused() {
    let d = parse("x:80:port=81");
    assert_eq!(
        message(d.arguments().port(0)),
        r#"port given twice in "x:80:port=81" (as "80" and as port="81")"#
    );
}

#[test]
fn keyword_only_arguments_leave_positionals_alone() {
    let d = parse("x:a:k=b");
    let mut a = d.arguments();
    assert_eq!(a.take_kw("k"), Some("b"));
    assert_eq!(a.take_kw("a"), None);
    assert_eq!(
        message(a.finish()),
        r#"unexpected argument "a" in "x:a:k=b""#
    );
}

#[test]
fn a_positional_is_taken_once() {
    let d = parse("x:a");
    let mut a = d.arguments();
    assert_eq!(a.take_positional_or_kw("first", 0).unwrap(), Some("a"));
    assert_eq!(a.take_positional_or_kw("again", 0).unwrap(), None);
    assert_eq!(a.take_positional_or_kw("far", 5).unwrap(), None);
}

#[test]
fn required_arguments_say_what_is_missing() {
    let d = parse("tcp");
    assert_eq!(message(d.arguments().port(0)), r#"missing port in "tcp""#);
    assert_eq!(
        message(d.arguments().required("host", None)),
        r#"missing host in "tcp""#
    );
}

#[test]
fn ports_are_numbers_in_range() {
    let port = |text: &str| parse(text).arguments().port(0);
    assert_eq!(port("tcp:0").unwrap(), 0);
    assert_eq!(port("tcp:65535").unwrap(), 65535);
    assert_eq!(
        message(port("tcp:80x")),
        r#"port "80x" in "tcp:80x" is not a number"#
    );
    assert_eq!(
        message(port("tcp:65536")),
        r#"port "65536" in "tcp:65536" is out of range (0 to 65535)"#
    );
    assert_eq!(
        message(port("tcp:-1")),
        r#"port "-1" in "tcp:-1" is out of range (0 to 65535)"#
    );
    assert!(
        message(port("tcp:999999999999999999999999999999999999999999")).contains("out of range")
    );
    assert_eq!(
        message(port("tcp:")),
        r#"port "" in "tcp:" is not a number"#
    );
    assert!(message(port("tcp: 80")).contains("is not a number"));
}

#[test]
fn integers_convert_with_their_own_range() {
    let d = parse("x:n=-5:m=3000000000:s=7");
    let mut a = d.arguments();
    assert_eq!(a.i32("n", None).unwrap(), Some(-5));
    assert_eq!(
        message(a.i32("m", None)),
        r#"m "3000000000" in "x:n=-5:m=3000000000:s=7" is out of range (-2147483648 to 2147483647)"#
    );
    assert_eq!(a.u16("s", None).unwrap(), Some(7));
    assert_eq!(a.u16("absent", None).unwrap(), None);
}

#[test]
fn floats_must_be_finite() {
    let f = |v: &str| {
        let d = parse(&format!("x:f={v}"));
        let r = d.arguments().f64("f", None);
        r
    };
    assert_eq!(f("2.5").unwrap(), Some(2.5));
    assert_eq!(f("1e3").unwrap(), Some(1000.0));
    assert_eq!(f("-1").unwrap(), Some(-1.0));
    for bad in ["nan", "inf", "-inf", "x", ""] {
        assert!(message(f(bad)).ends_with("is not a number"), "{bad}");
    }
}

#[test]
fn seconds_take_fractions_but_not_negatives() {
    let s = |v: &str| {
        let d = parse(&format!("x:timeout={v}"));
        let r = d.arguments().seconds("timeout", None);
        r
    };
    assert_eq!(s("30").unwrap(), Some(Duration::from_secs(30)));
    assert_eq!(s("0.25").unwrap(), Some(Duration::from_millis(250)));
    assert_eq!(s("0").unwrap(), Some(Duration::ZERO));
    assert_eq!(
        message(s("-1")),
        r#"timeout "-1" in "x:timeout=-1" is not a number of seconds"#
    );
    for bad in ["soon", "nan", "inf", "1e300", ""] {
        assert!(
            message(s(bad)).ends_with("is not a number of seconds"),
            "{bad}"
        );
    }
}

#[test]
fn booleans_take_common_words() {
    let b = |v: &str| {
        let d = parse(&format!("x:b={v}"));
        let r = d.arguments().bool("b", None);
        r
    };
    for yes in ["1", "true", "YES", "On"] {
        assert_eq!(b(yes).unwrap(), Some(true), "{yes}");
    }
    for no in ["0", "False", "no", "OFF"] {
        assert_eq!(b(no).unwrap(), Some(false), "{no}");
    }
    assert_eq!(
        message(b("maybe")),
        r#"b "maybe" in "x:b=maybe" is not a boolean (use 1 or 0)"#
    );
}

#[test]
fn finish_names_what_was_not_taken() {
    let d = parse("x:80:backlog=5:colour=red");
    let mut a = d.arguments();
    a.port(0).unwrap();
    a.i32("backlog", Some(1)).unwrap();
    a.take_kw("interface");
    assert_eq!(
        message(a.finish()),
        r#"unknown keyword "colour" in "x:80:backlog=5:colour=red" (expected: port, backlog, interface)"#
    );
    let d = parse("x:k=v");
    assert_eq!(
        message(d.arguments().finish()),
        r#"unknown keyword "k" in "x:k=v" (it takes none)"#
    );
}

#[test]
fn invalid_builds_errors_for_parsers_own_checks() {
    let d = parse("x:mode=999");
    let a = d.arguments();
    assert_eq!(
        a.invalid("mode", "999", "is not an octal mode").to_string(),
        r#"mode "999" in "x:mode=999" is not an octal mode"#
    );
}
