//! A tiny SMTP-like line server that upgrades to TLS on `STARTTLS`, as
//! `openssl s_client -starttls smtp` expects: a `220` greeting, `250` lines for `EHLO`
//! naming `STARTTLS`, `220` before the handshake; after it, each line is echoed.

use std::rc::Rc;

use torsion::protocols::basic::{LineCx, LineReceiver};
use torsion::tls::ServerOptions;
use torsion::Failure;

use super::protocols::tls_facts;
use crate::util::Record;

/// The server side of one connection. Records `clear:<line>` for each line before TLS,
/// the TLS facts and `secure:<line>` for each line after, and `lost` with the reason.
pub struct StartTlsServer {
    options: ServerOptions,
    record: Rc<Record>,
    secure: bool,
}

impl StartTlsServer {
    /// A server that upgrades with `options`, writing into `record`.
    pub fn new(options: ServerOptions, record: &Rc<Record>) -> StartTlsServer {
        StartTlsServer {
            options,
            record: record.clone(),
            secure: false,
        }
    }

    fn clear_line(&mut self, cx: &mut LineCx<'_, Self>, line: &str) {
        self.record.push(format!("clear:{line}"));
        let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" | "HELO" => {
                cx.send_line(b"250-torsion greets you");
                cx.send_line(b"250 STARTTLS");
            }
            "STARTTLS" => {
                cx.send_line(b"220 go ahead");
                match cx.transport().start_tls(self.options.clone()) {
                    Ok(()) => self.secure = true,
                    Err(e) => {
                        self.record.push(format!("start_tls failed: {e}"));
                        cx.transport().lose_connection();
                    }
                }
            }
            _ => cx.send_line(b"530 say STARTTLS first"),
        }
    }
}

impl LineReceiver for StartTlsServer {
    fn connection_made(&mut self, cx: &mut LineCx<'_, Self>) {
        cx.send_line(b"220 torsion ESMTP");
    }

    fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        let line = String::from_utf8_lossy(line).to_string();
        if !self.secure {
            return self.clear_line(cx, &line);
        }
        if !self.record.events().iter().any(|e| e.starts_with("tls:")) {
            self.record.push(tls_facts(cx.transport()));
        }
        self.record.push(format!("secure:{line}"));
        cx.send_line(line.as_bytes());
    }

    fn connection_lost(&mut self, _cx: &mut LineCx<'_, Self>, reason: &Failure) {
        self.record.push_reason(reason);
        self.record.push("lost");
    }
}
