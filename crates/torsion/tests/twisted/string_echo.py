"""A string echo on real Twisted, for the differential test of the string receivers:
answers every string with `got:` and the string, through a NetstringReceiver or an
Int16StringReceiver (argv[1]: `netstring` or `int16`), both with MAX_LENGTH 50.
Listens on a free port of 127.0.0.1 and prints `listening on HOST:PORT`."""

import sys

from twisted.internet import protocol, reactor
from twisted.protocols import basic


class NetstringEcho(basic.NetstringReceiver):
    MAX_LENGTH = 50

    def stringReceived(self, string):
        self.sendString(b"got:" + string)


class Int16Echo(basic.Int16StringReceiver):
    MAX_LENGTH = 50

    def stringReceived(self, string):
        self.sendString(b"got:" + string)


def main():
    factory = protocol.ServerFactory()
    factory.protocol = {"netstring": NetstringEcho, "int16": Int16Echo}[sys.argv[1]]
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    print("listening on 127.0.0.1:%d" % port.getHost().port)
    sys.stdout.flush()
    reactor.run()


if __name__ == "__main__":
    main()
