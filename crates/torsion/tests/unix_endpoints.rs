//! `unix:` endpoints over real sockets: a server and a client from their descriptions,
//! the pid check through a description, and the errors.

mod util;

use std::cell::RefCell;
use std::rc::Rc;

use torsion::endpoints::{
    client_from_string, connect_protocol, server_from_string, unix_server_from_string,
    UnixClientEndpoint, UnixServerEndpoint,
};
use torsion::error::BadFileError;
use torsion::{Address, Cx, Failure, Protocol, UnixAddress};

struct Collect {
    got: Rc<RefCell<Vec<u8>>>,
}

impl Protocol for Collect {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(b"described");
    }
    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.got.borrow_mut().extend_from_slice(data);
    }
}

fn sock_path(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "torsion-endpoints-{}-{name}.sock",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn endpoints_from_unix_descriptions_listen_and_connect() {
    let reactor = util::reactor();
    let path = sock_path("described");
    let server =
        unix_server_from_string(&reactor, &format!("unix:{}:mode=600", path.display())).unwrap();
    let port = server
        .listen(|_peer| Some(util::Echo))
        .take_result()
        .unwrap()
        .unwrap();
    let lock = format!("{}.lock", path.display());
    assert!(
        std::fs::symlink_metadata(&lock).is_ok(),
        "lockfile=1 is the string form's default"
    );
    let description = format!("unix:path={}:timeout=5:checkPID=1", path.display());
    let client = client_from_string(&reactor, &description).unwrap();
    let got = Rc::new(RefCell::new(Vec::new()));
    let _d = connect_protocol(&client, Collect { got: got.clone() });
    let (g, r) = (got.clone(), reactor.clone());
    util::run_until(&reactor, move || {
        if g.borrow().len() == 9 {
            r.stop();
        }
        false
    });
    assert_eq!(&*got.borrow(), b"described");
    port.stop_listening();
    assert!(!path.exists() && std::fs::symlink_metadata(&lock).is_err());
}

#[test]
fn server_from_string_listens_on_a_unix_description_too() {
    let reactor = util::reactor();
    let path = sock_path("any");
    let port = server_from_string(&reactor, &format!("unix:{}:lockfile=0", path.display()))
        .unwrap()
        .listen(|_peer| Some(util::Echo))
        .take_result()
        .expect("listens inside the call")
        .unwrap();
    assert_eq!(
        port.get_host(),
        Address::Unix(UnixAddress::Path(path.clone()))
    );
    assert!(port.tcp().is_none());
    let client = client_from_string(&reactor, &format!("unix:path={}", path.display())).unwrap();
    let got = Rc::new(RefCell::new(Vec::new()));
    let _d = connect_protocol(&client, Collect { got: got.clone() });
    let g = got.clone();
    util::run_until(&reactor, move || g.borrow().len() == 9);
    assert_eq!(&*got.borrow(), b"described");
    let stopped = port.stop_listening();
    assert!(!port.listening() && !path.exists());
    let s = stopped.clone();
    util::run_until(&reactor, move || s.called());
}

#[test]
fn a_client_endpoint_with_check_pid_fails_without_a_live_lock() {
    let reactor = util::reactor();
    let path = sock_path("nolock");
    let port = UnixServerEndpoint::new(&reactor, &path)
        .listen(|_peer| Some(util::Echo))
        .take_result()
        .unwrap()
        .unwrap();
    let outcome: Rc<RefCell<Option<Failure>>> = Rc::default();
    let (o, r) = (outcome.clone(), reactor.clone());
    UnixClientEndpoint::new(&reactor, &path)
        .check_pid(true)
        .connect(|_addr| Some(util::Echo))
        .add_both(move |outcome| {
            *o.borrow_mut() = outcome.err();
            r.stop();
            Ok::<(), Failure>(())
        });
    util::run(&reactor);
    let failure = outcome.borrow_mut().take().expect("the attempt failed");
    assert!(failure.check::<BadFileError>(), "{failure}");
    port.stop_listening();
}

#[test]
fn bad_unix_descriptions_say_why() {
    let reactor = util::reactor();
    let err = unix_server_from_string(&reactor, "unix:/x:mode=999").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"DescriptionError: mode "999" in "unix:/x:mode=999" is not an octal file mode"#
    );
    let err = server_from_string(&reactor, "unix:/x:backlog=many").unwrap_err();
    assert!(err.to_string().contains("\"many\""), "{err}");
    let err = client_from_string(&reactor, "unix:").unwrap_err();
    assert!(err.to_string().contains("path \"\""), "{err}");
}
