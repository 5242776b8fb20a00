"""A TLS client on Python's ssl module: verifies the server as `localhost` against the CA
file, sends SIZE bytes 64 KiB at a time, reading each piece back before the next (one
thread: OpenSSL does not allow reading and writing one connection from two threads at once,
and doing so made recv() see a false end now and then), then unwrap(): sends close_notify
and waits for the server's.

usage: echo_client.py PORT CA_FILE SIZE
"""
import socket
import ssl
import sys

port, ca_file, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
payload = bytes((i * 7 + i // 251) % 256 for i in range(size))

context = ssl.create_default_context(cafile=ca_file)
raw = socket.create_connection(("127.0.0.1", port), timeout=30)
tls = context.wrap_socket(raw, server_hostname="localhost")
print("version", tls.version(), flush=True)

echoed = bytearray()
for start in range(0, size, 65536):
    piece = payload[start:start + 65536]
    tls.sendall(piece)
    while len(echoed) < start + len(piece):
        chunk = tls.recv(65536)
        if not chunk:
            sys.exit(f"the server closed after {len(echoed)} of {size} bytes")
        echoed += chunk
if bytes(echoed) != payload:
    sys.exit("the echo differs from what was sent")
print("echoed", len(echoed), flush=True)

tls.unwrap()
print("unwrapped", flush=True)
raw.close()
