use crate::endpoints::{
    server_spec_from_string, Description, DescriptionError, Registry, ServerSpec, TcpServerSpec,
};

fn port_only(d: &Description) -> Result<u16, DescriptionError> {
    let mut a = d.arguments();
    let port = a.port(0)?;
    a.finish()?;
    Ok(port)
}

fn always_one(_: &Description) -> Result<u16, DescriptionError> {
    Ok(1)
}

#[test]
fn parse_dispatches_on_the_type_name() {
    let mut r = Registry::new();
    r.register("a", port_only).register("b", always_one);
    assert_eq!(r.parse("a:7").unwrap(), 7);
    assert_eq!(r.parse("b:whatever").unwrap(), 1);
    assert_eq!(r.names().collect::<Vec<_>>(), ["a", "b"]);
}

#[test]
fn type_names_match_in_any_case() {
    let mut r = Registry::new();
    r.register("Echo", port_only);
    assert_eq!(r.parse("ECHO:7").unwrap(), 7);
    assert_eq!(r.parse("echo:7").unwrap(), 7);
    assert_eq!(r.names().collect::<Vec<_>>(), ["echo"]);
}

#[test]
fn register_replaces_a_type_in_place() {
    let mut r = Registry::new();
    r.register("a", port_only).register("b", port_only);
    r.register("A", always_one);
    assert_eq!(r.parse("a:7").unwrap(), 1);
    assert_eq!(r.names().collect::<Vec<_>>(), ["a", "b"]);
}

#[test]
fn unknown_types_list_the_known_ones() {
    let err = server_spec_from_string("tpc:80").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"unknown endpoint type "tpc" in "tpc:80" (known: tcp, tcp6, unix, ssl)"#
    );
    let empty: Registry<u16> = Registry::default();
    assert_eq!(
        empty.parse("a:1").unwrap_err().to_string(),
        r#"unknown endpoint type "a" in "a:1" (no endpoint types are registered)"#
    );
}

#[test]
fn a_bare_port_gets_a_hint_not_a_default() {
    assert_eq!(
        server_spec_from_string("8080").unwrap_err().to_string(),
        r#"unknown endpoint type "8080" in "8080" (known: tcp, tcp6, unix, ssl); did you mean "tcp:8080"?"#
    );
    let mut r = Registry::new();
    r.register("a", always_one);
    assert!(!r
        .parse("8080")
        .unwrap_err()
        .to_string()
        .contains("did you mean"));
}

#[test]
fn syntax_and_parser_errors_pass_through() {
    let r = Registry::<ServerSpec>::with_defaults();
    assert_eq!(
        r.parse("").unwrap_err().to_string(),
        r#"empty endpoint description in """#
    );
    assert_eq!(
        r.parse("tcp").unwrap_err().to_string(),
        r#"missing port in "tcp""#
    );
}

#[test]
fn parse_description_takes_a_parsed_description() {
    let r = Registry::<ServerSpec>::with_defaults();
    let d = Description::parse("tcp:80").unwrap();
    assert_eq!(r.parse_description(&d).unwrap(), r.parse("tcp:80").unwrap());
}

#[test]
fn defaults_extend_and_clone() {
    let mut r = Registry::<ServerSpec>::with_defaults();
    let before = r.clone();
    r.register("tcp4", |d| TcpServerSpec::parse_tcp(d).map(ServerSpec::Tcp));
    assert!(r.parse("tcp4:80").is_ok());
    assert!(before.parse("tcp4:80").is_err());
    assert_eq!(
        format!("{r:?}"),
        r#"Registry { types: ["tcp", "tcp6", "unix", "ssl", "tcp4"] }"#
    );
}
