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

Usage: python mpyc_launcher.py SOCKET_DIR PORTS KEY_DIR PROGRAM [ARGS...]
  PORTS: the ports to redirect, comma-separated; KEY_DIR: `-` without TLS.
"""
import asyncio
import importlib.util
import os
import re
import runpy
import sys

SOCKET_DIR = sys.argv[1]
PORTS = {int(port) for port in sys.argv[2].split(',') if port}
KEY_DIR = None if sys.argv[3] == '-' else sys.argv[3]
PROGRAM = sys.argv[4]
MPYC_FILE = re.compile(r'party_\d+\.(crt|key)|mpyc_ca\.crt')
LOOPBACK = {'127.0.0.1', 'localhost', '::1'}


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
        path = socket_of(port) if host in (None, '') else None
        if path is None:
            return await create_server(self, protocol_factory, host, port, **kwargs)
        return await self.create_unix_server(protocol_factory, path, ssl=kwargs.get('ssl'))

    async def _create_connection(self, protocol_factory, host=None, port=None, **kwargs):
        path = socket_of(port) if host in LOOPBACK else None
        if path is None:
            return await create_connection(self, protocol_factory, host, port, **kwargs)
        tls = kwargs.get('ssl')
        return await self.create_unix_connection(
            protocol_factory, path, ssl=tls, server_hostname=kwargs.get('server_hostname') if tls else None)

    loop_class.create_server = _create_server
    loop_class.create_connection = _create_connection


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
sys.argv = sys.argv[4:]
sys.path[0] = os.path.dirname(os.path.abspath(PROGRAM))

# Warm-up: the standard library modules MPyC imports, most of what importing it costs (57 of
# 75 ms here). Not MPyC itself: its package reads the command line and MPYC_* environment
# variables at import, which stays the program's own import, after anything the program sets.
for module in ('argparse', 'asyncio', 'concurrent.futures', 'configparser', 'dataclasses', 'datetime',
               'decimal', 'functools', 'hashlib', 'inspect', 'itertools', 'logging', 'math', 'operator',
               'pickle', 'platform', 'random', 'secrets', 'statistics', 'struct', 'threading', 'traceback',
               'types', 'typing', 'warnings'):
    importlib.import_module(module)


def wait_for_go(path):
    """Blocks until mpc-id says every party is connected; ends this process if mpc-id goes."""
    import socket
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as go:
        go.connect(path)
        if go.recv(1) != b'+':
            sys.exit('mpc-id ended the run before the program started')


wait_for_go(os.path.join(SOCKET_DIR, 'go'))
runpy.run_path(PROGRAM, run_name='__main__')
