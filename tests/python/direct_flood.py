"""A flood of parties' direct ports (session/src/mpyc_launcher.py's DirectPort) as fast as this
machine goes, from several loopback addresses at once: connections that say nothing and are held
(the oldest let go past 256 per address and port, so that new ones keep coming), and TLS
handshakes with a stranger's certificate that then speak as party 0.

Usage: python direct_flood.py CERTIFICATE KEY
Reads the ports (comma-separated) as a line on its standard input, floods them until that closes, then prints what it did as JSON: connections made, failed
(refused, reset or timed out), handshakes tried."""
import collections
import json
import socket
import ssl
import sys
import threading

SOURCES = [f'127.0.0.{i}' for i in range(2, 10)]
HELD = 256
stop = threading.Event()
counts = collections.Counter()
lock = threading.Lock()


def count(what):
    with lock:
        counts[what] += 1


def hold(source, port):
    held = collections.deque()
    while not stop.is_set():
        try:
            held.append(socket.create_connection(('127.0.0.1', port), timeout=0.25, source_address=(source, 0)))
            count('made')
        except OSError as e:
            count('failed ' + type(e).__name__)
        if len(held) > HELD:
            held.popleft().close()
    for connection in held:
        connection.close()


def handshake(port):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.load_cert_chain(sys.argv[1], sys.argv[2])
    while not stop.is_set():
        count('handshakes')
        try:
            raw = socket.create_connection(('127.0.0.1', port), timeout=0.5, source_address=('127.0.0.10', 0))
            with context.wrap_socket(raw) as tls:
                tls.sendall(b'\0\0')
                tls.recv(1)
        except OSError:
            pass


PORTS = [int(port) for port in sys.stdin.readline().split(',')]
threads = [threading.Thread(target=hold, args=(source, port)) for source in SOURCES for port in PORTS]
threads += [threading.Thread(target=handshake, args=(port,)) for port in PORTS]
for thread in threads:
    thread.start()
sys.stdin.read()
stop.set()
for thread in threads:
    thread.join()
print(json.dumps(counts))
