//! `portforward`: forwards every connection to `--dest HOST:PORT`, with backpressure
//! both ways (Twisted's `portforward` plugin).

use crate::cli::{ListenOptions, Plugin};
use crate::protocols::portforward::ProxyFactory;

/// Options of `torsion portforward`.
#[derive(clap::Args, Debug)]
struct Options {
    #[command(flatten)]
    listen: ListenOptions,
    /// Where each connection is forwarded, as HOST:PORT ([::1]:80 for IPv6).
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_destination)]
    dest: (String, u16),
}

pub(super) fn plugin() -> Plugin {
    Plugin::new(
        "portforward",
        "Forwards each connection to --dest HOST:PORT; port 6666 by default (as Twisted's).",
        |options: Options, cx| {
            let (host, port) = options.dest;
            tracing::info!("forwarding to {host}:{port}");
            let factory = ProxyFactory::new(cx.reactor(), host, port);
            cx.listen_all(&options.listen, 6666, factory)
        },
    )
}

/// `HOST:PORT`, the host in brackets when it is an IPv6 address.
fn parse_destination(text: &str) -> Result<(String, u16), String> {
    let (host, port) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("{text:?} is not HOST:PORT"))?;
    let port = port
        .parse()
        .map_err(|_| format!("{port:?} in {text:?} is not a port number"))?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty() {
        return Err(format!("{text:?} has no host"));
    }
    Ok((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::parse_destination;

    #[test]
    fn destinations_parse() {
        assert_eq!(
            parse_destination("example.com:80"),
            Ok(("example.com".into(), 80))
        );
        assert_eq!(parse_destination("[::1]:8080"), Ok(("::1".into(), 8080)));
        assert!(parse_destination("example.com").is_err());
        assert!(parse_destination(":80").is_err());
        assert!(parse_destination("h:99999").is_err());
    }
}
