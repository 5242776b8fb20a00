use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

use crate::endpoints::{
    client_spec_from_string, quote_argument, server_spec_from_string, ClientSpec, Description,
    ServerSpec,
};

/// Text that often hits the special characters.
fn tricky() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z0-9:=\\\\]{0,24}"]
}

proptest! {
    #[test]
    fn quoted_parts_read_back_as_written(
        kind in "[a-z][a-z0-9]{0,7}",
        args in vec(tricky(), 0..4),
        kwargs in btree_map(tricky().prop_filter("named", |k| !k.is_empty()), tricky(), 0..4),
    ) {
        let mut text = kind.clone();
        for arg in &args {
            text.push(':');
            text.push_str(&quote_argument(arg));
        }
        for (key, value) in &kwargs {
            text.push_str(&format!(":{}={}", quote_argument(key), quote_argument(value)));
        }
        let d = Description::parse(&text).unwrap();
        prop_assert_eq!(d.kind(), kind.as_str());
        prop_assert_eq!(d.args(), args.as_slice());
        let expected: Vec<(String, String)> = kwargs.into_iter().collect();
        prop_assert_eq!(d.kwargs(), expected.as_slice());
    }

    #[test]
    fn a_value_needs_no_escaped_equals(key in "[a-z]{1,8}", value in "[a-z=]{0,16}") {
        let d = Description::parse(&format!("x:{key}={value}")).unwrap();
        prop_assert_eq!(d.kwarg(&key), Some(value.as_str()));
    }

    #[test]
    fn parsing_never_panics(text in tricky()) {
        let parsed = Description::parse(&text);
        if let Err(e) = &parsed {
            prop_assert_eq!(e.description(), text.as_str());
        }
        let _ = server_spec_from_string(&text);
        let _ = client_spec_from_string(&text);
    }

    #[test]
    fn every_port_round_trips(port in any::<u16>()) {
        match server_spec_from_string(&format!("tcp:{port}")) {
            Ok(ServerSpec::Tcp(spec)) => prop_assert_eq!(spec.port(), port),
            other => prop_assert!(false, "{:?}", other),
        }
        match client_spec_from_string(&format!("tcp:localhost:{port}")) {
            Ok(ClientSpec::Tcp(spec)) => prop_assert_eq!(spec.port(), port),
            other => prop_assert!(false, "{:?}", other),
        }
    }
}
