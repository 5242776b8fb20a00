"""A TLS client on Python's ssl module that tells how the server closed: verifies the
server as `localhost` against the CA file, sends `go`, then reads to the end with
suppress_ragged_eofs=False, so only a close_notify counts as a clean end.

Prints `received <text>` and then `clean close` (close_notify came) or
`unclean close: <exception>` (the connection ended without it).

usage: closing_client.py PORT CA_FILE
"""
import socket
import ssl
import sys

port, ca_file = int(sys.argv[1]), sys.argv[2]
context = ssl.create_default_context(cafile=ca_file)
raw = socket.create_connection(("127.0.0.1", port), timeout=30)
tls = context.wrap_socket(raw, server_hostname="localhost", suppress_ragged_eofs=False)
tls.sendall(b"go\n")

received = bytearray()
try:
    while True:
        chunk = tls.recv(65536)
        if not chunk:
            print("received", received.decode().strip(), flush=True)
            print("clean close", flush=True)
            break
        received += chunk
except (ssl.SSLError, ConnectionError) as e:
    print("received", received.decode().strip(), flush=True)
    print("unclean close:", type(e).__name__, flush=True)
raw.close()
