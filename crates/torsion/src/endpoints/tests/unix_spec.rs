//! The `unix:` descriptions: Twisted's argument names, defaults and positional forms, and
//! the errors for bad ones.

use std::time::Duration;

use crate::endpoints::{client_spec_from_string, server_spec_from_string, ClientSpec, ServerSpec};
use crate::UnixAddress;

fn server(text: &str) -> crate::endpoints::UnixServerSpec {
    match server_spec_from_string(text).unwrap() {
        ServerSpec::Unix(spec) => spec,
        other => panic!("not a unix spec: {other:?}"),
    }
}

fn client(text: &str) -> crate::endpoints::UnixClientSpec {
    match client_spec_from_string(text).unwrap() {
        ClientSpec::Unix(spec) => spec,
        other => panic!("not a unix spec: {other:?}"),
    }
}

#[test]
fn a_unix_server_takes_twisteds_defaults() {
    let spec = server("unix:/run/app.sock");
    assert_eq!(spec.address(), &UnixAddress::Path("/run/app.sock".into()));
    let options = spec.listen_options();
    assert_eq!(options.mode, 0o666);
    assert_eq!(options.backlog, 50);
    assert!(
        options.want_pid,
        "lockfile defaults to 1 in the string form"
    );
}

#[test]
fn a_unix_server_reads_address_mode_backlog_and_lockfile() {
    let spec = server("unix:address=/tmp/s:mode=660:backlog=7:lockfile=0");
    assert_eq!(spec.address(), &UnixAddress::Path("/tmp/s".into()));
    let options = spec.listen_options();
    assert_eq!(
        (options.mode, options.backlog, options.want_pid),
        (0o660, 7, false)
    );
    assert_eq!(
        server("unix:\0abstract").address(),
        &UnixAddress::Abstract(b"abstract".to_vec()),
        "a leading NUL byte names the abstract namespace, as in Twisted"
    );
}

#[test]
fn a_unix_client_reads_path_timeout_and_check_pid() {
    let spec = client("unix:/run/app.sock");
    assert_eq!(spec.address(), &UnixAddress::Path("/run/app.sock".into()));
    let options = spec.connect_options();
    assert_eq!(options.timeout, Some(Duration::from_secs(30)));
    assert!(!options.check_pid);
    let options = client("unix:path=/x:timeout=5:checkPID=1").connect_options();
    assert_eq!(options.timeout, Some(Duration::from_secs(5)));
    assert!(options.check_pid);
    assert!(client("unix:/x:lockfile=1").connect_options().check_pid);
}

#[test]
fn bad_unix_descriptions_say_what_is_wrong() {
    let server_error = |text: &str| server_spec_from_string(text).unwrap_err().to_string();
    let client_error = |text: &str| client_spec_from_string(text).unwrap_err().to_string();
    assert_eq!(server_error("unix:"), r#"address "" in "unix:" is empty"#);
    assert_eq!(
        server_error("unix:/s:mode=9"),
        r#"mode "9" in "unix:/s:mode=9" is not an octal file mode"#
    );
    assert!(server_error("unix:/s:lockfile=maybe").contains("is not a boolean"));
    assert!(server_error("unix:/s:interface=x").contains(r#"unknown keyword "interface""#));
    assert!(client_error("unix:timeout=5").contains("missing path"));
    assert!(client_error("unix:/x:timeout=soon").contains("is not a number of seconds"));
    assert!(client_error("unix:/x:y").contains(r#"unexpected argument "y""#));
}
