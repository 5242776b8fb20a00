use std::net::SocketAddr;
use std::time::Duration;

use crate::endpoints::{
    client_spec_from_string, server_spec_from_string, ClientSpec, ServerSpec, TcpClientSpec,
    TcpServerSpec,
};

fn server(text: &str) -> TcpServerSpec {
    match server_spec_from_string(text) {
        Ok(ServerSpec::Tcp(spec)) => spec,
        Ok(other) => panic!("{text:?}: not TCP: {other:?}"),
        Err(e) => panic!("{text:?}: {e}"),
    }
}

fn client(text: &str) -> TcpClientSpec {
    match client_spec_from_string(text) {
        Ok(ClientSpec::Tcp(spec)) => spec,
        Ok(other) => panic!("{text:?}: not TCP: {other:?}"),
        Err(e) => panic!("{text:?}: {e}"),
    }
}

fn server_error(text: &str) -> String {
    server_spec_from_string(text).unwrap_err().to_string()
}

fn client_error(text: &str) -> String {
    client_spec_from_string(text).unwrap_err().to_string()
}

fn summary(s: &TcpServerSpec) -> (u16, &str, i32) {
    (s.port(), s.interface(), s.backlog())
}

#[test]
fn tcp_server_defaults_as_twisted() {
    assert_eq!(summary(&server("tcp:8000")), (8000, "", 50));
    assert_eq!(summary(&server("TCP:0")), (0, "", 50));
}

#[test]
fn tcp_server_takes_keywords_or_positions() {
    let expected = (8000, "127.0.0.1", 7);
    assert_eq!(
        summary(&server("tcp:8000:interface=127.0.0.1:backlog=7")),
        expected
    );
    assert_eq!(
        summary(&server("tcp:port=8000:backlog=7:interface=127.0.0.1")),
        expected
    );
    assert_eq!(summary(&server("tcp:8000:127.0.0.1:7")), expected);
}

#[test]
fn tcp6_server_defaults_to_every_ipv6_interface() {
    assert_eq!(summary(&server("tcp6:8000")), (8000, "::", 50));
    assert_eq!(
        summary(&server(r"tcp6:8000:interface=\:\:1")),
        (8000, "::1", 50)
    );
    // Twisted's tcp6 parser takes the backlog before the interface by position.
    assert_eq!(summary(&server(r"tcp6:8000:9:\:\:1")), (8000, "::1", 9));
}

#[test]
fn tcp_server_rejects_bad_arguments() {
    assert_eq!(server_error("tcp"), r#"missing port in "tcp""#);
    assert_eq!(
        server_error("tcp:80x"),
        r#"port "80x" in "tcp:80x" is not a number"#
    );
    assert_eq!(
        server_error("tcp:80:interface=localhost"),
        r#"interface "localhost" in "tcp:80:interface=localhost" is not an IP address"#
    );
    assert_eq!(
        server_error("tcp:80:backlog=lots"),
        r#"backlog "lots" in "tcp:80:backlog=lots" is not a number"#
    );
    assert_eq!(
        server_error("tcp:80:host=a"),
        r#"unknown keyword "host" in "tcp:80:host=a" (expected: port, interface, backlog)"#
    );
    assert_eq!(
        server_error("tcp:80::50:extra"),
        r#"unexpected argument "extra" in "tcp:80::50:extra""#
    );
    assert!(server_error("tcp:80:1.2.3.4:interface=5.6.7.8").contains("interface given twice"));
}

#[test]
fn tcp_server_spec_gives_listen_options() {
    let options = server("tcp:80:interface=10.0.0.1:backlog=3").listen_options();
    assert_eq!(options.interface, "10.0.0.1");
    assert_eq!(options.backlog, 3);
    assert!(!options.reuse_port);
}

#[test]
fn tcp_client_takes_keywords() {
    let spec = client("tcp:host=example.org:port=80");
    assert_eq!((spec.host(), spec.port()), ("example.org", 80));
    assert_eq!(spec.timeout(), Some(Duration::from_secs(30)));
    assert_eq!(spec.bind_address(), None);
}

#[test]
fn tcp_client_takes_positions_as_twisted() {
    let expected = client("tcp:host=example.org:port=80");
    assert_eq!(client("tcp:example.org:80"), expected);
    assert_eq!(
        client("tcp:host=example.org:80"),
        expected,
        "lone positional is the port"
    );
    assert_eq!(client("tcp:example.org:port=80"), expected);
    assert_eq!(client("tcp:port=80:example.org"), expected);
}

#[test]
fn tcp_client_timeout_and_bind_address() {
    let spec = client("tcp:h:1:timeout=10:bindAddress=192.0.2.100");
    assert_eq!(spec.timeout(), Some(Duration::from_secs(10)));
    assert_eq!(spec.bind_address(), Some("192.0.2.100:0".parse().unwrap()));
    let spec = client(r"tcp:h:1:timeout=0.5:bindAddress=\:\:1");
    assert_eq!(spec.timeout(), Some(Duration::from_millis(500)));
    assert_eq!(spec.bind_address(), Some("[::1]:0".parse().unwrap()));
    let spec = client(r"tcp:h:1:bindAddress=10.0.0.1\:4000");
    assert_eq!(spec.bind_address(), Some("10.0.0.1:4000".parse().unwrap()));
}

#[test]
fn tcp_client_rejects_bad_arguments() {
    assert_eq!(client_error("tcp"), r#"missing host in "tcp""#);
    assert_eq!(client_error("tcp:h"), r#"missing port in "tcp:h""#);
    assert_eq!(
        client_error("tcp:host=:port=1"),
        r#"host "" in "tcp:host=:port=1" is empty"#
    );
    assert_eq!(
        client_error("tcp:h:1:timeout=soon"),
        r#"timeout "soon" in "tcp:h:1:timeout=soon" is not a number of seconds"#
    );
    assert_eq!(
        client_error("tcp:h:1:bindAddress=here"),
        r#"bindAddress "here" in "tcp:h:1:bindAddress=here" is not an IP or socket address"#
    );
    assert_eq!(
        client_error("tcp:h:1:2"),
        r#"unexpected argument "2" in "tcp:h:1:2""#
    );
    assert!(client_error("tcp:host=h:port=1:2").contains("port given twice"));
    assert_eq!(
        client_error("tcp:h:1:interface=x"),
        r#"unknown keyword "interface" in "tcp:h:1:interface=x" (expected: host, port, timeout, bindAddress)"#
    );
    assert_eq!(
        client_error("tcp6:h:1"),
        r#"unknown endpoint type "tcp6" in "tcp6:h:1" (known: tcp, unix, tls, ssl)"#
    );
}

#[test]
fn tcp_client_spec_gives_destination_and_connect_options() {
    let spec = client(r"tcp:\:\:1:443:timeout=3:bindAddress=\:\:1");
    assert_eq!(spec.destination().to_string(), "[::1]:443");
    let options = spec.connect_options();
    assert_eq!(options.timeout, Some(Duration::from_secs(3)));
    assert_eq!(
        options.bind_address,
        Some(SocketAddr::from(([0u16, 0, 0, 0, 0, 0, 0, 1], 0)))
    );
}
