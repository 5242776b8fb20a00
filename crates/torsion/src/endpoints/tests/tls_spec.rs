//! The `ssl:` server and `tls:` client descriptions: Twisted's argument names, defaults and
//! positional forms, torsion's stricter checks, and quoted paths read back whatever they
//! hold.

use std::path::Path;
use std::time::Duration;

use proptest::prelude::*;

use crate::endpoints::{
    client_spec_from_string, quote_argument, server_spec_from_string, ClientSpec, ServerSpec,
    TlsClientSpec, TlsServerSpec,
};

fn server(text: &str) -> TlsServerSpec {
    match server_spec_from_string(text).unwrap() {
        ServerSpec::Tls(spec) => spec,
        other => panic!("not an ssl spec: {other:?}"),
    }
}

fn client(text: &str) -> TlsClientSpec {
    match client_spec_from_string(text).unwrap() {
        ClientSpec::Tls(spec) => spec,
        other => panic!("not a tls spec: {other:?}"),
    }
}

fn server_error(text: &str) -> String {
    server_spec_from_string(text).unwrap_err().to_string()
}

fn client_error(text: &str) -> String {
    client_spec_from_string(text).unwrap_err().to_string()
}

#[test]
fn an_ssl_server_takes_twisteds_defaults() {
    let spec = server("ssl:8443:privateKey=key.pem");
    assert_eq!(spec.port(), 8443);
    assert_eq!(spec.interface(), "");
    assert_eq!(spec.backlog(), 50);
    assert_eq!(spec.private_key(), Path::new("key.pem"));
    assert_eq!(
        spec.cert_key(),
        Path::new("key.pem"),
        "certKey defaults to privateKey"
    );
    assert_eq!(spec.extra_cert_chain(), None);
    assert_eq!(spec.ca_certs_dir(), None);
    assert_eq!(spec.text(), "ssl:8443:privateKey=key.pem");
}

#[test]
fn an_ssl_server_reads_every_argument_by_keyword_or_position() {
    let spec = server(
        "ssl:port=443:privateKey=k.pem:certKey=c.pem:interface=127.0.0.1:backlog=7:\
         extraCertChain=chain.pem:caCertsDir=/etc/cas",
    );
    assert_eq!(
        (spec.port(), spec.interface(), spec.backlog()),
        (443, "127.0.0.1", 7)
    );
    assert_eq!(spec.cert_key(), Path::new("c.pem"));
    assert_eq!(spec.extra_cert_chain(), Some(Path::new("chain.pem")));
    assert_eq!(spec.ca_certs_dir(), Some(Path::new("/etc/cas")));
    let positional = server("ssl:443:k.pem:c.pem");
    assert_eq!(
        (positional.private_key(), positional.cert_key()),
        (Path::new("k.pem"), Path::new("c.pem")),
        "Twisted's positional order: port, privateKey, certKey"
    );
    assert_eq!(
        server(r"ssl:0:privateKey=C\:\\k.pem").private_key(),
        Path::new(r"C:\k.pem")
    );
    assert_eq!(server(r"ssl:0:k.pem:interface=\:\:1").interface(), "::1");
}

#[test]
fn bad_ssl_descriptions_name_the_problem() {
    assert_eq!(
        server_error("ssl:443"),
        r#"missing privateKey in "ssl:443""#
    );
    assert_eq!(
        server_error("ssl:privateKey=k"),
        r#"missing port in "ssl:privateKey=k""#
    );
    assert_eq!(
        server_error("ssl:443:privateKey="),
        r#"privateKey "" in "ssl:443:privateKey=" is empty"#
    );
    assert_eq!(
        server_error("ssl:443:k:interface=localhost"),
        r#"interface "localhost" in "ssl:443:k:interface=localhost" is not an IP address"#
    );
    assert_eq!(
        server_error("ssl:443:k:c:TLSv1_METHOD"),
        r#"unexpected argument "TLSv1_METHOD" in "ssl:443:k:c:TLSv1_METHOD""#,
        "sslmethod is not taken: TLS 1.2 and 1.3 only"
    );
    let err = server_error("ssl:443:k:dhParameters=dh.pem");
    assert!(
        err.starts_with(r#"unknown keyword "dhParameters""#),
        "{err}"
    );
    let err = server_error("ssl:443:k:privateKey=k");
    assert!(err.starts_with("privateKey given twice"), "{err}");
}

#[test]
fn a_tls_client_takes_host_port_and_twisteds_defaults() {
    let spec = client("tls:example.org:443");
    assert_eq!((spec.host(), spec.port()), ("example.org", Some(443)));
    assert_eq!(spec.timeout(), Duration::from_secs(30));
    assert_eq!(spec.bind_address(), None);
    assert_eq!((spec.certificate(), spec.private_key()), (None, None));
    assert_eq!((spec.trust_roots(), spec.endpoint()), (None, None));
    assert_eq!(
        client("tls:host=example.org:443").port(),
        Some(443),
        "with host=, the lone positional argument is the port"
    );
}

#[test]
fn a_tls_client_reads_its_keywords() {
    let spec = client(
        r"tls:host=h:port=1:timeout=2.5:bindAddress=10.0.0.2:certificate=c.pem:trustRoots=/ca",
    );
    assert_eq!(spec.timeout(), Duration::from_millis(2500));
    assert_eq!(spec.bind_address(), Some("10.0.0.2:0".parse().unwrap()));
    assert_eq!(spec.certificate(), Some(Path::new("c.pem")));
    assert_eq!(
        spec.private_key(),
        Some(Path::new("c.pem")),
        "the key defaults to the cert file"
    );
    assert_eq!(spec.trust_roots(), Some(Path::new("/ca")));
    let spec = client("tls:h:1:certificate=c.pem:privateKey=k.pem");
    assert_eq!(spec.private_key(), Some(Path::new("k.pem")));
}

#[test]
fn a_tls_client_wraps_the_endpoint_its_description_names() {
    let spec = client(r"tls:example.org:endpoint=unix\:/run/tls.sock");
    assert_eq!(spec.port(), None, "the port may be left out with endpoint=");
    assert!(
        matches!(spec.endpoint(), Some(ClientSpec::Unix(_))),
        "{spec:?}"
    );
    let spec = client(r"tls:example.org:443:endpoint=tcp\:host=10.0.0.1\:port=8443");
    assert_eq!(spec.port(), Some(443), "accepted, as Twisted requires it");
    match spec.endpoint() {
        Some(ClientSpec::Tcp(tcp)) => assert_eq!((tcp.host(), tcp.port()), ("10.0.0.1", 8443)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_tls_descriptions_name_the_problem() {
    assert_eq!(client_error("tls"), r#"missing host in "tls""#);
    assert_eq!(client_error("tls:h"), r#"missing port in "tls:h""#);
    assert_eq!(
        client_error("tls::443"),
        r#"host "" in "tls::443" is empty"#
    );
    assert_eq!(
        client_error("tls:h:1:privateKey=k.pem"),
        r#"privateKey "k.pem" in "tls:h:1:privateKey=k.pem" needs certificate= beside it"#
    );
    let err = client_error(r"tls:h:endpoint=tcp\:h\:x");
    assert!(err.starts_with(r#"endpoint "tcp:h:x" in "#), "{err}");
    assert!(
        err.contains(r#"port "x" in "tcp:h:x" is not a number"#),
        "{err}"
    );
    let err = client_error(r"tls:h:endpoint=tls\:h\:1");
    assert!(err.ends_with("TLS inside TLS is not supported"), "{err}");
    let err = client_error(r"tls:h:endpoint=tcp\:h\:1:timeout=3");
    assert!(err.starts_with(r#"timeout "3" in "#), "{err}");
    assert!(
        err.ends_with("belongs in the endpoint= description, not beside it"),
        "{err}"
    );
    let err = client_error("tls:h:1:caCertsDir=/x");
    assert!(err.starts_with(r#"unknown keyword "caCertsDir""#), "{err}");
    let err = client_error("tls:h:1:trustRoots=");
    assert!(err.ends_with("is empty"), "{err}");
}

/// Path text: anything but NUL, often the description's special characters.
fn path_text() -> impl Strategy<Value = String> {
    prop_oneof!["[^\u{0}]{1,24}", "[a-z0-9:=\\\\/. ]{1,24}",]
}

proptest! {
    #[test]
    fn quoted_paths_read_back_as_written(
        port in any::<u16>(),
        key in path_text(),
        cert in path_text(),
        chain in path_text(),
        roots in path_text(),
    ) {
        let q = quote_argument;
        let spec = server(&format!(
            "ssl:{port}:{}:certKey={}:extraCertChain={}:caCertsDir={}",
            q(&key), q(&cert), q(&chain), q(&roots)
        ));
        prop_assert_eq!(spec.port(), port);
        prop_assert_eq!(spec.private_key(), Path::new(&key));
        prop_assert_eq!(spec.cert_key(), Path::new(&cert));
        prop_assert_eq!(spec.extra_cert_chain(), Some(Path::new(&chain)));
        prop_assert_eq!(spec.ca_certs_dir(), Some(Path::new(&roots)));

        let spec = client(&format!(
            "tls:{}:{port}:certificate={}:privateKey={}:trustRoots={}",
            q(&chain), q(&cert), q(&key), q(&roots)
        ));
        prop_assert_eq!(spec.host(), chain.as_str());
        prop_assert_eq!(spec.port(), Some(port));
        prop_assert_eq!(spec.certificate(), Some(Path::new(&cert)));
        prop_assert_eq!(spec.private_key(), Some(Path::new(&key)));
        prop_assert_eq!(spec.trust_roots(), Some(Path::new(&roots)));
    }

    #[test]
    fn an_inner_endpoint_description_quoted_once_reads_back(
        host in "[a-z]{1,10}(\\.[a-z]{1,10}){0,2}",
        port in any::<u16>(),
    ) {
        let inner = format!("tcp:{host}:{port}:timeout=5");
        let spec = client(&format!("tls:{host}:endpoint={}", quote_argument(&inner)));
        match spec.endpoint() {
            Some(ClientSpec::Tcp(tcp)) => {
                prop_assert_eq!((tcp.host(), tcp.port()), (host.as_str(), port));
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }
}

#[test]
fn an_ssl_client_takes_twisteds_connect_ssl_arguments_and_always_verifies() {
    let spec = client("ssl:example.org:443");
    assert_eq!((spec.host(), spec.port()), ("example.org", Some(443)));
    assert_eq!(
        spec.server_name(),
        "example.org",
        "verified for the host by default"
    );
    assert_eq!((spec.trust_roots(), spec.certificate()), (None, None));
    let spec = client(
        "ssl:host=127.0.0.1:port=8443:hostname=localhost:caCertsDir=/ca:certKey=c.pem:\
         timeout=3:bindAddress=127.0.0.2",
    );
    assert_eq!(
        (spec.host(), spec.server_name()),
        ("127.0.0.1", "localhost")
    );
    assert_eq!(spec.trust_roots(), Some(Path::new("/ca")));
    assert_eq!(spec.certificate(), Some(Path::new("c.pem")));
    assert_eq!(spec.private_key(), Some(Path::new("c.pem")));
    assert_eq!(spec.timeout(), Duration::from_secs(3));
    assert_eq!(spec.bind_address(), Some("127.0.0.2:0".parse().unwrap()));
    assert_eq!(client("tls:example.org:443").server_name(), "example.org");

    let err = client_error("ssl:h:1:privateKey=k.pem");
    assert!(err.ends_with("needs certKey= beside it"), "{err}");
    let err = client_error("ssl:h:1:trustRoots=/ca");
    assert!(err.starts_with(r#"unknown keyword "trustRoots""#), "{err}");
    let err = client_error("ssl:h:1:hostname=");
    assert!(err.ends_with("is empty"), "{err}");
    let err = client_error(r"ssl:h:1:endpoint=tcp\:h\:1");
    assert!(err.starts_with(r#"unknown keyword "endpoint""#), "{err}");
}
