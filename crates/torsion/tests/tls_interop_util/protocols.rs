//! The torsion ends of the interop tests: an echo server protocol and a client that sends
//! one message, waits for the reply it expects and closes as told, both writing what they
//! saw (TLS version, ALPN, peer certificates, the close reason) into a [`Record`].

use std::rc::Rc;

use torsion::{Address, ClientFactory, Connector, Cx, Failure, Protocol, Transport};

use crate::util::Record;

/// What the TLS layer told a protocol about its connection, as one event:
/// `tls:<version> alpn:<protocol> peer-certs:<count>` (the count of certificates the peer
/// presented, its own first).
pub fn tls_facts(transport: &Transport) -> String {
    let alpn = transport
        .negotiated_protocol()
        .map(|p| String::from_utf8_lossy(&p).to_string())
        .unwrap_or_else(|| "-".into());
    let certs = transport.peer_certificates().map_or(0, |c| c.len());
    format!(
        "tls:{} alpn:{alpn} peer-certs:{certs}",
        transport.tls_version().unwrap_or("-")
    )
}

/// `bytes` in lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Echoes what it receives. Records the TLS facts when the first bytes arrive (and
/// `peer-leaf:<hex DER>` if the peer presented a certificate), each run of bytes as
/// `data:<text>`, `peer-closed` on the peer's EOF (then closes), and `lost` with the
/// reason last.
pub struct ServerEcho {
    record: Rc<Record>,
    seen_data: bool,
}

impl ServerEcho {
    /// An echo protocol writing into `record`.
    pub fn new(record: &Rc<Record>) -> ServerEcho {
        ServerEcho {
            record: record.clone(),
            seen_data: false,
        }
    }
}

impl Protocol for ServerEcho {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        if !self.seen_data {
            self.seen_data = true;
            self.record.push(tls_facts(cx.transport()));
            if let Some(leaf) = cx
                .transport()
                .peer_certificates()
                .and_then(|c| c.first().cloned())
            {
                self.record.push(format!("peer-leaf:{}", hex(&leaf)));
            }
        }
        self.record
            .push(format!("data:{}", String::from_utf8_lossy(data)));
        cx.transport().write(data);
    }

    fn read_connection_lost(&mut self, cx: &mut Cx<Self>) {
        self.record.push("peer-closed");
        cx.transport().lose_connection();
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record.push_reason(reason);
        self.record.push("lost");
    }
}

/// Answers the first bytes it receives with `goodbye`, then closes with
/// `lose_connection` (`close_notify` after the pending data) or `abort_connection` (at
/// once, nothing more sent). Records `lost` with the reason.
pub struct Closer {
    record: Rc<Record>,
    abort: bool,
}

impl Closer {
    /// A closer that aborts if `abort`, else loses the connection cleanly.
    pub fn new(record: &Rc<Record>, abort: bool) -> Closer {
        Closer {
            record: record.clone(),
            abort,
        }
    }
}

impl Protocol for Closer {
    fn data_received(&mut self, cx: &mut Cx<Self>, _data: &[u8]) {
        if cx.transport().disconnecting() {
            return;
        }
        cx.transport().write(b"goodbye\n");
        if self.abort {
            cx.transport().abort_connection();
        } else {
            cx.transport().lose_connection();
        }
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record.push_reason(reason);
        self.record.push("lost");
    }
}

/// How an [`Exchange`] ends once the reply it expects arrived.
#[derive(Clone, Copy, Debug)]
pub enum Then {
    /// `lose_connection`: our `close_notify`, then the socket closes.
    LoseConnection,
    /// `lose_write_connection`: our `close_notify`, then wait for the peer's.
    LoseWriteConnection,
    /// Nothing: wait for the peer to close.
    WaitForPeer,
}

/// A client that writes `message` once connected and waits until the bytes received
/// contain `reply`; then it records the TLS facts and `replied:<all bytes received>`, and
/// ends as [`Then`] says. Records `peer-closed` on the peer's EOF and `lost` with the
/// reason last.
pub struct Exchange {
    record: Rc<Record>,
    message: String,
    reply: String,
    then: Then,
    received: Vec<u8>,
    replied: bool,
}

impl Protocol for Exchange {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(self.message.as_bytes());
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        self.received.extend_from_slice(data);
        let text = String::from_utf8_lossy(&self.received).to_string();
        if self.replied || !text.contains(&self.reply) {
            return;
        }
        self.replied = true;
        self.record.push(tls_facts(cx.transport()));
        self.record.push(format!("replied:{text}"));
        match self.then {
            Then::LoseConnection => cx.transport().lose_connection(),
            Then::LoseWriteConnection => cx.transport().lose_write_connection(),
            Then::WaitForPeer => {}
        }
    }

    fn read_connection_lost(&mut self, cx: &mut Cx<Self>) {
        self.record.push("peer-closed");
        cx.transport().lose_connection();
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.record.push_reason(reason);
        self.record.push("lost");
    }
}

/// Builds one [`Exchange`]; records `failed` with the reason if the connection could not
/// be made at all.
pub struct ExchangeFactory {
    record: Rc<Record>,
    message: String,
    reply: String,
    then: Then,
}

impl ExchangeFactory {
    /// A factory for a client that sends `message`, waits for `reply` and ends as `then`
    /// says, writing into `record`.
    pub fn new(record: &Rc<Record>, message: &str, reply: &str, then: Then) -> ExchangeFactory {
        ExchangeFactory {
            record: record.clone(),
            message: message.to_string(),
            reply: reply.to_string(),
            then,
        }
    }
}

impl ClientFactory for ExchangeFactory {
    type Protocol = Exchange;

    fn build_protocol(&mut self, _addr: Address) -> Option<Exchange> {
        Some(Exchange {
            record: self.record.clone(),
            message: self.message.clone(),
            reply: self.reply.clone(),
            then: self.then,
            received: Vec::new(),
            replied: false,
        })
    }

    fn client_connection_failed(&mut self, _connector: &Connector, reason: &Failure) {
        self.record.push_reason(reason);
        self.record.push("failed");
        self.record.push("lost");
    }
}
