"""mpc-id's launcher for an MPyC program under `mpc-id run`.

MPyC connects its parties over TCP: every party listens on its port on all interfaces, and dials
the others at the `-P host:port` addresses it is given. Under `mpc-id run` every party's traffic
goes through mpc-id's tunnels, so this launcher puts MPyC's connections on Unix sockets instead,
in mpc-id's private run directory (0700, removed after the run): MPyC's listener is reachable by
nothing but this user's processes (not the network, not another user of this machine), and
every message costs the kernel less than a loopback TCP connection would. The `-P` ports become
names: port P is the socket `SOCKET_DIR/P`. Only the ports given here are redirected, only for
MPyC's own listener (`create_server` without a host) and its connections to 127.0.0.1; every
other connection the program makes is left alone.

With MPyC's TLS (`--ssl`), MPyC reads its files from `.config/` in the working directory
(party_<i>.crt, party_<i>.key, mpyc_ca.crt), and programs read their data files relative to it
too. So that the program runs in the directory `mpc-id run` was started in, while the key stays in
mpc-id's private key directory, exactly those three names are opened from KEY_DIR instead.

The launcher starts while mpc-id is still connecting the parties: it imports the standard
library modules MPyC uses (most of what a Python start with MPyC costs), then waits until
mpc-id says every party is connected (a byte on the socket `SOCKET_DIR/go`), and only then
runs the program, as `python PROGRAM ARGS...` would. If the run cannot go ahead, mpc-id stops this process before the program ran.

With DIRECT, the parties' programs also meet on direct TLS connections where one can reach the
other's machine (mpc-id's `session/src/run/direct.rs` says why and when): mpc-id makes a TCP
port listening for them, offers it to the peers over its authenticated mesh and hands it to
this launcher on the go socket, and once every party is connected it writes
`SOCKET_DIR/direct.json`: this run's certificate and key, the peers to dial directly (address,
port, certificate), and the certificates to accept. MPyC's listener then also serves TLS on that
port, to exactly those certificates, and a connection must name the party its certificate is
for (MPyC's first two bytes); MPyC's connection to a peer in the list goes there, pinned to that
peer's certificate, and through the tunnel if that fails. Everything else stays on the tunnels.

Usage: python mpyc_launcher.py SOCKET_DIR PORTS KEY_DIR DIRECT PROGRAM [ARGS...]
  PORTS: the ports to redirect, comma-separated; KEY_DIR: `-` without TLS; DIRECT: `direct` or `-`.
"""
import asyncio
import collections
import importlib.util
import os
import re
import runpy
import socket
import struct
import sys

SOCKET_DIR = sys.argv[1]
PORTS = {int(port) for port in sys.argv[2].split(',') if port}
KEY_DIR = None if sys.argv[3] == '-' else sys.argv[3]
DIRECT = sys.argv[4] == 'direct'
PROGRAM = sys.argv[5]
MPYC_FILE = re.compile(r'party_\d+\.(crt|key)|mpyc_ca\.crt')
LOOPBACK = {'127.0.0.1', 'localhost', '::1'}
# How long a direct connection to a peer may take before its tunnel is used (the port answered
# mpc-id's probe already: this is the TLS handshake).
DIAL_FOR = 2.0
# How long a connection to this party's direct port may take to show it is a peer's.
ADMIT_FOR = DIAL_FOR + 1.0


GO = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
GO.connect(os.path.join(SOCKET_DIR, 'go'))
# The direct port, made by mpc-id (which offers it to the peers while its mesh still connects)
# and handed over here: one byte carrying the socket.
LISTENER = None
if DIRECT:
    _, fds, _, _ = socket.recv_fds(GO, 1, 1)
    LISTENER = socket.socket(fileno=fds[0]) if fds else None
# Filled from direct.json once mpc-id says go: the forwarder ports dialled directly, the
# certificates (sha256 of the DER) accepted and whose party they are, this run's own files.
DIAL = {}
ACCEPT = {}
OWN = {}


def socket_of(port):
    """The Unix socket standing for a redirected port; None for any other port."""
    try:
        port = int(port)
    except (TypeError, ValueError):
        return None
    return os.path.join(SOCKET_DIR, str(port)) if port in PORTS else None


def on_unix_sockets(loop_class):
    """Has `loop_class` serve and dial the redirected ports on their Unix sockets."""
    create_server = loop_class.create_server
    create_connection = loop_class.create_connection

    async def _create_server(self, protocol_factory, host=None, port=None, **kwargs):
        global LISTENER
        path = socket_of(port) if host in (None, '') else None
        if path is None:
            return await create_server(self, protocol_factory, host, port, **kwargs)
        tunnels = await self.create_unix_server(lambda: Batching(protocol_factory()), path, ssl=kwargs.get('ssl'))
        listener, LISTENER = LISTENER, None
        if listener is None or not ACCEPT or kwargs.get('ssl') is not None:
            if listener is not None:
                listener.close()
            return tunnels
        direct = DirectPort(self, listener, protocol_factory, tls_context(ssl_server=True, trusted=ACCEPT.values()))
        return Servers(tunnels, direct)

    async def _create_connection(self, protocol_factory, host=None, port=None, **kwargs):
        path = socket_of(port) if host in LOOPBACK else None
        if path is None:
            return await create_connection(self, protocol_factory, host, port, **kwargs)
        peer = DIAL.pop(int(port), None) if kwargs.get('ssl') is None else None
        if peer is not None:
            # Tried once: if it fails, this and every later try of MPyC's go through the tunnel.
            try:
                return await asyncio.wait_for(
                    create_connection(self, lambda: Batching(protocol_factory()), peer['host'], peer['tcp_port'],
                                      ssl=tls_context(ssl_server=False, trusted=[peer['certificate']]),
                                      server_hostname=''),
                    DIAL_FOR)
            except (OSError, asyncio.TimeoutError) as e:
                print(f'mpc-id: the direct connection to party {peer["party"]} failed ({e}); '
                      'using the tunnel', file=sys.stderr)
        tls = kwargs.get('ssl')
        return await self.create_unix_connection(
            lambda: Batching(protocol_factory()), path, ssl=tls, server_hostname=kwargs.get('server_hostname') if tls else None)

    loop_class.create_server = _create_server
    loop_class.create_connection = _create_connection


def tls_context(ssl_server, trusted):
    """TLS 1.3 with this run's certificate, trusting exactly `trusted` (hex of DER each)."""
    import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if ssl_server else ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(OWN['certificate'], OWN['key'])
    for certificate in trusted:
        context.load_verify_locations(cadata=bytes.fromhex(certificate))
    return context


class DirectPort:
    """MPyC's listener on the direct port, which anyone who reaches this machine can connect to.

    So it is bounded: a connection has ADMIT_FOR to finish its TLS handshake and name its party; at
    most `per_source` connections wait from one address (every party that may dial here could come
    from one: one machine, one NAT) and four times that in all, and while all places are taken
    nothing more is accepted (the kernel's backlog holds or drops the rest, at no cost here). A
    party is let in once, and the port closes as soon as every party expected has come (MPyC closes
    its listener too once all are connected). A flood can keep a peer's connection waiting past its
    DIAL_FOR, and that peer then takes its tunnel; it cannot take this program's memory, its
    descriptors or a party's place."""

    def __init__(self, loop, listener, protocol_factory, context):
        self.loop = loop
        self.listener = listener
        self.protocol_factory = protocol_factory
        self.context = context
        self.per_source = len(ACCEPT) + 4
        self.in_all = 4 * self.per_source
        self.waiting = collections.Counter()
        self.room = asyncio.Event()
        self.room.set()
        self.admitted = set()
        listener.setblocking(False)
        self.serving = loop.create_task(self.serve())

    async def serve(self):
        while True:
            await self.room.wait()
            try:
                connection, address = await self.loop.sock_accept(self.listener)
            except OSError:
                # Out of descriptors, or a connection gone before it was taken: not this port's end.
                await asyncio.sleep(0.1)
                continue
            source = address[0]
            if self.waiting[source] >= self.per_source:
                # Reset rather than closed: nothing of it lingers here.
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
                connection.close()
                continue
            self.waiting[source] += 1
            if sum(self.waiting.values()) >= self.in_all:
                self.room.clear()
            self.loop.create_task(self.admit(connection, source))

    async def admit(self, connection, source):
        guard = OnlyTheirOwnParty(self)
        try:
            await asyncio.wait_for(self.handshake(connection, guard), ADMIT_FOR)
        except Exception:
            # A stranger's certificate, a wrong party, a handshake too slow: nothing is said to it.
            guard.cut()
            connection.close()
        finally:
            self.waiting[source] -= 1
            if not self.waiting[source]:
                del self.waiting[source]
            self.room.set()

    async def handshake(self, connection, guard):
        await self.loop.connect_accepted_socket(lambda: guard, connection, ssl=self.context,
                                                ssl_handshake_timeout=ADMIT_FOR)
        if not await guard.decided:
            raise ConnectionError('not admitted')

    def let_in(self, party):
        """Whether `party` may come in now: once only; the port closes when all have come."""
        if party is None or party in self.admitted:
            return False
        self.admitted.add(party)
        if self.admitted >= ACCEPT.keys():
            self.close()
        return True

    def close(self):
        if self.listener is not None:
            self.serving.cancel()
            self.listener.close()
            self.listener = None

    async def wait_closed(self):
        pass

    def is_serving(self):
        return self.listener is not None


class OnlyTheirOwnParty(asyncio.Protocol):
    """A direct connection until its party is known: the one whose certificate it presented, if
    that party is expected and not in yet, and if MPyC's first two bytes name it too. Then MPyC's
    protocol takes the connection over (no call through this one per message); any other
    connection is cut before MPyC sees it."""

    def __init__(self, port):
        self.port = port
        self.transport = None
        self.party = None
        self.head = b''
        self.decided = port.loop.create_future()

    def connection_made(self, transport):
        import hashlib
        self.transport = transport
        tls = transport.get_extra_info('ssl_object')
        der = tls.getpeercert(binary_form=True) if tls is not None else None
        self.party = ACCEPT_PARTY.get(hashlib.sha256(der).hexdigest()) if der else None
        if self.party is None or self.party in self.port.admitted:
            self.cut()

    def data_received(self, data):
        if self.transport is None:
            return
        self.head += data
        if len(self.head) < 2:
            return
        if int.from_bytes(self.head[:2], 'little') != self.party:
            print(f'mpc-id: refused a direct connection with the certificate of party {self.party} '
                  'that said it was another party', file=sys.stderr)
            return self.cut()
        if not self.port.let_in(self.party):
            return self.cut()
        inner = self.port.protocol_factory()
        self.transport.set_protocol(inner)
        inner.connection_made(Batched(self.transport))
        inner.data_received(self.head)
        self.transport = None
        self.decided.set_result(True)

    def cut(self):
        if self.transport is not None:
            self.transport.abort()
            self.transport = None
        if not self.decided.done():
            self.decided.set_result(False)

    def connection_lost(self, exc):
        self.transport = None
        self.cut()


class Batched:
    """A transport that writes what MPyC sends in one turn of the event loop at the end of that
    turn, in one write: MPyC writes each message on its own (a comparison at 16 parties sends
    many small ones to every peer in a turn), and every write costs a system call and, on a
    direct connection, a TLS record. Nothing waits longer than the turn it was sent in: the
    loop runs what is scheduled before it polls again. Order is kept; closing sends the rest."""

    def __init__(self, transport):
        self.transport = transport
        self.loop = asyncio.get_running_loop()
        self.pending = []

    def write(self, data):
        if not self.pending:
            self.loop.call_soon(self.flush)
        self.pending.append(data)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        if self.pending:
            pending, self.pending = self.pending, []
            self.transport.write(b''.join(pending))

    def close(self):
        self.flush()
        self.transport.close()

    def __getattr__(self, name):
        return getattr(self.transport, name)


class Batching(asyncio.Protocol):
    """Hands a new connection to MPyC's protocol with its writes `Batched`, and steps aside: the
    connection's data then goes straight to MPyC's protocol."""

    def __init__(self, inner):
        self.inner = inner

    def connection_made(self, transport):
        transport.set_protocol(self.inner)
        self.inner.connection_made(Batched(transport))


class Servers:
    """MPyC's listener on the tunnels' socket and on the direct port, closed together."""

    def __init__(self, *servers):
        self.servers = servers

    def close(self):
        for server in self.servers:
            server.close()

    async def wait_closed(self):
        for server in self.servers:
            await server.wait_closed()

    def is_serving(self):
        return any(server.is_serving() for server in self.servers)


on_unix_sockets(asyncio.BaseEventLoop)
# MPyC runs on uvloop when it is installed (and not disabled): its loop class is a Python class
# over the compiled one, so the same methods can be replaced there.
if importlib.util.find_spec('uvloop') is not None:
    import uvloop
    on_unix_sockets(uvloop.Loop)


def read_tls_files_from(key_dir):
    """Has `.config/<an MPyC TLS file>` read from `key_dir`; every other path is left alone."""
    import ssl

    def redirect(path):
        if isinstance(path, str):
            directory, name = os.path.split(path)
            if directory == '.config' and MPYC_FILE.fullmatch(name):
                return os.path.join(key_dir, name)
        return path

    load_cert_chain = ssl.SSLContext.load_cert_chain
    load_verify_locations = ssl.SSLContext.load_verify_locations

    def _load_cert_chain(self, certfile, keyfile=None, password=None):
        return load_cert_chain(self, redirect(certfile), redirect(keyfile), password)

    def _load_verify_locations(self, cafile=None, capath=None, cadata=None):
        return load_verify_locations(self, redirect(cafile), capath, cadata)

    ssl.SSLContext.load_cert_chain = _load_cert_chain
    ssl.SSLContext.load_verify_locations = _load_verify_locations


if KEY_DIR is not None:
    read_tls_files_from(KEY_DIR)

# As `python PROGRAM ARGS...`: its arguments, and its own directory first on the import path
# (MPyC's multi-file demos import their neighbours).
sys.argv = sys.argv[5:]
sys.path[0] = os.path.dirname(os.path.abspath(PROGRAM))

# Warm-up: the standard library modules MPyC imports, most of what importing it costs (57 of
# 75 ms here). Not MPyC itself: its package reads the command line and MPYC_* environment
# variables at import, which stays the program's own import, after anything the program sets.
for module in ('argparse', 'asyncio', 'concurrent.futures', 'configparser', 'dataclasses', 'datetime',
               'decimal', 'functools', 'hashlib', 'inspect', 'itertools', 'logging', 'math', 'operator',
               'pickle', 'platform', 'random', 'secrets', 'statistics', 'struct', 'threading', 'traceback',
               'types', 'typing', 'warnings'):
    importlib.import_module(module)


def wait_for_go():
    """Blocks until mpc-id says every party is connected; ends this process if mpc-id goes."""
    with GO:
        if GO.recv(1) != b'+':
            sys.exit('mpc-id ended the run before the program started')


def read_direct(path):
    """What mpc-id wrote for the direct connections (nothing if it wrote nothing)."""
    import hashlib
    import json
    try:
        with open(path) as file:
            direct = json.load(file)
    except FileNotFoundError:
        return
    OWN.update(certificate=direct['certificate'], key=direct['key'])
    DIAL.update({peer['port']: peer for peer in direct['dial']})
    for peer in direct['accept']:
        ACCEPT[peer['party']] = peer['certificate']
        ACCEPT_PARTY[hashlib.sha256(bytes.fromhex(peer['certificate'])).hexdigest()] = peer['party']


ACCEPT_PARTY = {}
wait_for_go()
if DIRECT:
    read_direct(os.path.join(SOCKET_DIR, 'direct.json'))
if LISTENER is not None and not ACCEPT:
    # Nobody will dial this party directly.
    LISTENER.close()
    LISTENER = None
runpy.run_path(PROGRAM, run_name='__main__')
