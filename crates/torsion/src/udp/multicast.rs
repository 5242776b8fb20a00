//! Multicast: `listen_multicast` and the group calls of a [`DatagramTransport`] (Twisted's
//! `IReactorMulticast` and `IMulticastTransport`).

use std::net::{IpAddr, Ipv4Addr};

use super::errors::MulticastJoinError;
use super::{DatagramProtocol, DatagramTransport, UdpOptions};
use crate::error::InvalidAddress;
use crate::{Failure, Reactor};

impl Reactor {
    /// Binds UDP `port` on every IPv4 interface for multicast (Twisted's
    /// `listenMulticast`): as [`listen_udp`](Reactor::listen_udp), and with
    /// `listen_multiple` several sockets (in this process or others) may bind the same
    /// port and each receives the group's datagrams (`SO_REUSEADDR` + `SO_REUSEPORT`).
    /// Join a group with [`join_group`](DatagramTransport::join_group).
    ///
    /// # Errors
    ///
    /// As [`listen_udp`](Reactor::listen_udp).
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::{Address, DatagramCx, DatagramProtocol, Reactor};
    ///
    /// struct Listener;
    /// impl DatagramProtocol for Listener {
    ///     fn start_protocol(&mut self, cx: &mut DatagramCx<Self>) {
    ///         cx.transport().join_group("228.0.0.5", "127.0.0.1").expect("join");
    ///     }
    ///     fn datagram_received(&mut self, _cx: &mut DatagramCx<Self>, data: &[u8], from: Address) {
    ///         println!("{from} says {}", String::from_utf8_lossy(data));
    ///     }
    /// }
    ///
    /// let reactor = Reactor::new()?;
    /// let port = reactor.listen_multicast(0, Listener, true)?;
    /// port.set_loopback_mode(true)?;
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    pub fn listen_multicast<P: DatagramProtocol>(
        &self,
        port: u16,
        protocol: P,
        listen_multiple: bool,
    ) -> Result<DatagramTransport, Failure> {
        let options = UdpOptions {
            reuse_port: listen_multiple,
            ..UdpOptions::default()
        };
        self.listen_udp_with(port, protocol, options)
    }
}

fn parse_ip(text: &str) -> Result<IpAddr, Failure> {
    text.parse().map_err(|_| {
        Failure::new(InvalidAddress {
            address: text.to_string(),
        })
    })
}

/// An IPv4 interface: `""` is the default one.
fn parse_v4_interface(text: &str) -> Result<Ipv4Addr, Failure> {
    if text.is_empty() {
        return Ok(Ipv4Addr::UNSPECIFIED);
    }
    match parse_ip(text)? {
        IpAddr::V4(ip) => Ok(ip),
        IpAddr::V6(_) => Err(Failure::new(InvalidAddress {
            address: text.to_string(),
        })),
    }
}

/// An IPv6 interface, by index: `""` is the default one (0).
fn parse_v6_interface(text: &str) -> Result<u32, Failure> {
    if text.is_empty() {
        return Ok(0);
    }
    text.parse().map_err(|_| {
        Failure::new(InvalidAddress {
            address: text.to_string(),
        })
    })
}

impl DatagramTransport {
    /// Joins multicast group `group` on `interface` (an IPv4 address, or an IPv6
    /// interface index; `""` for the default) (Twisted's `joinGroup`).
    ///
    /// # Errors
    ///
    /// [`InvalidAddress`] if `group` or `interface` cannot be parsed;
    /// [`MulticastJoinError`] if the kernel refuses (not a multicast address, no such
    /// interface).
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::{Address, DatagramCx, DatagramProtocol, Reactor};
    ///
    /// struct Quiet;
    /// impl DatagramProtocol for Quiet {
    ///     fn datagram_received(&mut self, _: &mut DatagramCx<Self>, _: &[u8], _: Address) {}
    /// }
    ///
    /// let reactor = Reactor::new()?;
    /// let port = reactor.listen_multicast(0, Quiet, true)?;
    /// port.join_group("228.0.0.5", "127.0.0.1")?;
    /// port.set_ttl(2)?;
    /// assert_eq!(port.get_ttl(), 2);
    /// port.leave_group("228.0.0.5", "127.0.0.1")?;
    /// assert!(port.join_group("10.0.0.1", "").is_err(), "not a multicast address");
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    pub fn join_group(&self, group: &str, interface: &str) -> Result<(), Failure> {
        self.membership(group, interface, true)
    }

    /// Leaves a group joined with [`join_group`](DatagramTransport::join_group).
    ///
    /// # Errors
    ///
    /// As [`join_group`](DatagramTransport::join_group) (the kernel refuses a group not
    /// joined).
    pub fn leave_group(&self, group: &str, interface: &str) -> Result<(), Failure> {
        self.membership(group, interface, false)
    }

    fn membership(&self, group: &str, interface: &str, join: bool) -> Result<(), Failure> {
        let ip = parse_ip(group)?;
        let result = match ip {
            IpAddr::V4(group) => {
                let interface = parse_v4_interface(interface)?;
                self.with_socket(|s| match join {
                    true => s.join_multicast_v4(&group, &interface),
                    false => s.leave_multicast_v4(&group, &interface),
                })
            }
            IpAddr::V6(group) => {
                let interface = parse_v6_interface(interface)?;
                self.with_socket(|s| match join {
                    true => s.join_multicast_v6(&group, interface),
                    false => s.leave_multicast_v6(&group, interface),
                })
            }
        };
        result.map_err(|failure| match failure.downcast_ref::<std::io::Error>() {
            Some(err) => Failure::new(MulticastJoinError {
                group: group.to_string(),
                interface: interface.to_string(),
                os_error: err
                    .raw_os_error()
                    .map_or_else(|| err.kind().into(), std::io::Error::from_raw_os_error),
            }),
            None => failure,
        })
    }

    fn is_ipv6(&self) -> bool {
        self.get_host().ip().is_some_and(|ip| ip.is_ipv6())
    }

    /// Whether this port's own multicast datagrams come back to the host's group members
    /// (`IP_MULTICAST_LOOP`, on by default).
    ///
    /// # Errors
    ///
    /// The OS error; [`DatagramPortError`](crate::error::DatagramPortError) once stopped.
    pub fn set_loopback_mode(&self, enabled: bool) -> Result<(), Failure> {
        match self.is_ipv6() {
            true => self.with_socket(|s| s.set_multicast_loop_v6(enabled)),
            false => self.with_socket(|s| s.set_multicast_loop_v4(enabled)),
        }
    }

    /// See [`set_loopback_mode`](DatagramTransport::set_loopback_mode) (false once stopped).
    pub fn get_loopback_mode(&self) -> bool {
        match self.is_ipv6() {
            true => self.with_socket(|s| s.multicast_loop_v6()),
            false => self.with_socket(|s| s.multicast_loop_v4()),
        }
        .unwrap_or(false)
    }

    /// The time-to-live (IPv6: hop limit) of outgoing multicast datagrams (default 1).
    ///
    /// # Errors
    ///
    /// As [`set_loopback_mode`](DatagramTransport::set_loopback_mode).
    pub fn set_ttl(&self, ttl: u32) -> Result<(), Failure> {
        match self.is_ipv6() {
            true => self.with_socket(|s| s.set_multicast_hops_v6(ttl)),
            false => self.with_socket(|s| s.set_multicast_ttl_v4(ttl)),
        }
    }

    /// See [`set_ttl`](DatagramTransport::set_ttl) (0 once stopped).
    pub fn get_ttl(&self) -> u32 {
        match self.is_ipv6() {
            true => self.with_socket(|s| s.multicast_hops_v6()),
            false => self.with_socket(|s| s.multicast_ttl_v4()),
        }
        .unwrap_or(0)
    }

    /// The interface outgoing multicast datagrams leave by: an IPv4 address, or an IPv6
    /// interface index (`""` for the default).
    ///
    /// # Errors
    ///
    /// [`InvalidAddress`] if `interface` cannot be parsed; as
    /// [`set_loopback_mode`](DatagramTransport::set_loopback_mode).
    pub fn set_outgoing_interface(&self, interface: &str) -> Result<(), Failure> {
        match self.is_ipv6() {
            true => {
                let index = parse_v6_interface(interface)?;
                self.with_socket(|s| s.set_multicast_if_v6(index))
            }
            false => {
                let ip = parse_v4_interface(interface)?;
                self.with_socket(|s| s.set_multicast_if_v4(&ip))
            }
        }
    }

    /// See [`set_outgoing_interface`](DatagramTransport::set_outgoing_interface): `""` for
    /// the default (and once stopped).
    pub fn get_outgoing_interface(&self) -> String {
        let chosen = match self.is_ipv6() {
            true => self
                .with_socket(|s| s.multicast_if_v6())
                .map(|i| (i != 0).then(|| i.to_string())),
            false => self
                .with_socket(|s| s.multicast_if_v4())
                .map(|ip| (!ip.is_unspecified()).then(|| ip.to_string())),
        };
        chosen.ok().flatten().unwrap_or_default()
    }
}
