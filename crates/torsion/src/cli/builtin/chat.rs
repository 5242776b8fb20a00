//! `chat`: the seeds' broadcast chat server: each client is welcomed with its number,
//! what one sends goes to all the others, `close` disconnects. Port 8006 by default.

use std::cell::RefCell;
use std::rc::Rc;

use crate::cli::{ListenOptions, Plugin};
use crate::{Cx, Failure, Protocol, Transport};

pub(super) fn plugin() -> Plugin {
    Plugin::new(
        "chat",
        "Sends what each client writes to every other client (the seeds' chat server); port \
         8006 by default.",
        |options: ListenOptions, cx| {
            let room = Rc::new(RefCell::new(Room::default()));
            cx.listen_all(&options, 8006, move |_peer| {
                Some(Member {
                    room: room.clone(),
                    number: 0,
                })
            })
        },
    )
}

/// Who is here, and how many joined so far (every port of the plugin shares one room).
#[derive(Default)]
struct Room {
    joined: usize,
    members: Vec<Transport>,
}

/// One chat client.
struct Member {
    room: Rc<RefCell<Room>>,
    number: usize,
}

impl Protocol for Member {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let mut room = self.room.borrow_mut();
        room.joined += 1;
        self.number = room.joined;
        tracing::info!("client {} joined", self.number);
        cx.transport()
            .write(format!("Welcome, you are client number {}!\n", self.number));
        room.members.push(cx.transport().clone());
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        let text = data.strip_suffix(b"\n").unwrap_or(data);
        if text.strip_suffix(b"\r").unwrap_or(text) == b"close" {
            return cx.transport().lose_connection();
        }
        let room = self.room.borrow();
        for member in room.members.iter().filter(|t| !t.is(cx.transport())) {
            member.write(data);
        }
    }

    fn connection_lost(&mut self, cx: &mut Cx<Self>, reason: &Failure) {
        self.room
            .borrow_mut()
            .members
            .retain(|t| !t.is(cx.transport()));
        tracing::info!("client {} left: {reason}", self.number);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Clock, ProtocolHarness, StringTransport};

    #[test]
    fn spreads_to_the_others_and_closes_on_close() {
        let (clock, room) = (Clock::new(), Rc::new(RefCell::new(Room::default())));
        let join = || {
            let st = StringTransport::new();
            let member = Member {
                room: room.clone(),
                number: 0,
            };
            let h = ProtocolHarness::connect(member, &st, &clock).unwrap();
            (st, h)
        };
        let (a, _ha) = join();
        let (b, hb) = join();
        assert_eq!(b.value_str(), "Welcome, you are client number 2!\n");
        a.clear();
        b.clear();
        hb.data_received(b"hi\n").unwrap();
        assert_eq!(a.value(), b"hi\n");
        assert!(b.value().is_empty());
        hb.data_received(b"close\r\n").unwrap();
        assert!(b.disconnecting());
        assert!(a.value() == b"hi\n");
    }
}
