"""A TLS server on Python's ssl module: listens on 127.0.0.1 port 0 and prints
`port N`, serves one client, sending back each chunk it receives in upper case until the
client's close_notify, then unwrap(): sends its own close_notify. A client that closes
without close_notify makes recv raise (suppress_ragged_eofs=False), so exits non-zero.
With --truncate, it closes the socket right after its first answer, without close_notify.

usage: upper_server.py CERT_FILE KEY_FILE [--truncate]
"""
import socket
import ssl
import sys

context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
listener = socket.create_server(("127.0.0.1", 0))
listener.settimeout(30)
print("port", listener.getsockname()[1], flush=True)

raw, _ = listener.accept()
raw.settimeout(30)
tls = context.wrap_socket(raw, server_side=True, suppress_ragged_eofs=False)
print("version", tls.version(), flush=True)
received = bytearray()
while True:
    chunk = tls.recv(65536)
    if not chunk:
        break
    received += chunk
    tls.sendall(chunk.upper())
    if sys.argv[3:] == ["--truncate"]:
        tls.close()
        print("closed without close_notify", flush=True)
        sys.exit(0)
print("received", received.decode().strip(), flush=True)

tls.unwrap()
print("unwrapped", flush=True)
raw.close()
