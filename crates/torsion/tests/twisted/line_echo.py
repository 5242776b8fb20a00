"""The seeds' LineReceiver echo server, on real Twisted: the reference the differential
test compares `line_echo_server` with. Listens on a free port of 127.0.0.1 and prints
`listening on HOST:PORT`, as the torsion examples do."""

import sys

from twisted.internet import protocol, reactor
from twisted.protocols import basic


class EchoProtocol(basic.LineReceiver):
    def lineReceived(self, line):
        if line == b"quit":
            self.sendLine(b"Goodbye.")
            self.transport.loseConnection()
        else:
            self.sendLine(b"You said: " + line)


class EchoServerFactory(protocol.ServerFactory):
    protocol = EchoProtocol


def main():
    port = reactor.listenTCP(0, EchoServerFactory(), interface="127.0.0.1")
    print("listening on 127.0.0.1:%d" % port.getHost().port)
    sys.stdout.flush()
    reactor.run()


if __name__ == "__main__":
    main()
