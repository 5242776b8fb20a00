//! Transports used from other connections: the broadcast chat, and handles kept after their
//! connection is gone.

mod util;

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use torsion::{Cx, Failure, Protocol, Transport};
use util::Record;

/// The seeds' chat server: welcomes each member and forwards what one says to the others.
struct Spreader {
    members: Rc<RefCell<Vec<Transport>>>,
}

impl Protocol for Spreader {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let mut members = self.members.borrow_mut();
        cx.transport()
            .write(format!("welcome {}\n", members.len() + 1));
        members.push(cx.transport().clone());
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        for t in self
            .members
            .borrow()
            .iter()
            .filter(|t| !t.is(cx.transport()))
        {
            t.write(data);
        }
    }

    fn connection_lost(&mut self, cx: &mut Cx<Self>, _reason: &Failure) {
        self.members.borrow_mut().retain(|t| !t.is(cx.transport()));
    }
}

#[test]
fn a_protocol_writes_to_other_connections() {
    let reactor = util::reactor();
    let members: Rc<RefCell<Vec<Transport>>> = Rc::default();
    let m = members.clone();
    let port = util::listen(&reactor, move |_peer| Some(Spreader { members: m.clone() }));
    let addr = port.get_host();
    let client = util::thread(move || {
        let mut a = util::connect_std(addr);
        let wa = util::read_exact(&mut a, 10);
        let mut b = util::connect_std(addr);
        let wb = util::read_exact(&mut b, 10);
        let mut c = util::connect_std(addr);
        let wc = util::read_exact(&mut c, 10);
        a.write_all(b"from a").unwrap();
        let (b1, c1) = (util::read_exact(&mut b, 6), util::read_exact(&mut c, 6));
        c.write_all(b"from c").unwrap();
        let (a2, b2) = (util::read_exact(&mut a, 6), util::read_exact(&mut b, 6));
        [wa, wb, wc, b1, c1, a2, b2].map(|v| String::from_utf8(v).unwrap())
    });
    util::run_until_finished(&reactor, &client);
    assert_eq!(
        client.join(),
        [
            "welcome 1\n",
            "welcome 2\n",
            "welcome 3\n",
            "from a",
            "from a",
            "from c",
            "from c"
        ]
    );
}

/// Keeps every connection's transport; on `bye` closes, on `ready` pokes every stale
/// transport it kept, then answers `end` on its own.
struct Keeper {
    kept: Rc<RefCell<Vec<Transport>>>,
    record: Rc<Record>,
}

impl Protocol for Keeper {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        self.kept.borrow_mut().push(cx.transport().clone());
        cx.transport().write(b"welcome\n");
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        match data {
            b"bye" => cx.transport().lose_connection(),
            b"ready" => {
                let own = cx.transport();
                for t in self.kept.borrow().iter().filter(|t| !t.is(own)) {
                    t.write(b"STALE");
                    t.lose_write_connection();
                    t.lose_connection();
                    t.abort_connection();
                    t.pause_producing();
                    self.record.push(format!(
                        "connected={} buffered={} disconnecting={} nodelay_err={}",
                        t.connected(),
                        t.buffered(),
                        t.disconnecting(),
                        t.set_tcp_nodelay(true).is_err(),
                    ));
                }
                own.write(b"end\n");
                own.lose_connection();
            }
            other => panic!("unexpected message {other:?}"),
        }
    }
}

#[test]
fn a_transport_kept_after_its_connection_never_reaches_a_newer_one() {
    const OLD: usize = 20;
    let reactor = util::reactor();
    let kept: Rc<RefCell<Vec<Transport>>> = Rc::default();
    let record = Record::new();
    let (k, rec) = (kept.clone(), record.clone());
    let port = util::listen(&reactor, move |_peer| {
        Some(Keeper {
            kept: k.clone(),
            record: rec.clone(),
        })
    });
    let addr = port.get_host();
    let client = util::thread(move || {
        for _ in 0..OLD {
            let mut s = util::connect_std(addr);
            assert_eq!(util::read_exact(&mut s, 8), b"welcome\n");
            s.write_all(b"bye").unwrap();
            assert!(util::read_to_eof(&mut s).is_empty());
        }
        let mut s = util::connect_std(addr);
        assert_eq!(util::read_exact(&mut s, 8), b"welcome\n");
        s.write_all(b"ready").unwrap();
        util::read_to_eof(&mut s)
    });
    util::run_until_finished(&reactor, &client);
    assert_eq!(
        client.join(),
        b"end\n",
        "no stale write, close or abort reached the live connection"
    );
    let expected =
        vec!["connected=false buffered=0 disconnecting=false nodelay_err=true".to_string(); OLD];
    assert_eq!(record.events(), expected);
    let kept = kept.borrow();
    assert_eq!(kept.len(), OLD + 1);
    for (i, a) in kept.iter().enumerate() {
        for b in &kept[i + 1..] {
            assert!(!a.is(b), "two connections' transports compare as the same");
        }
    }
}
