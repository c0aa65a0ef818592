"""mpc-id's launcher for an MPyC program run with --ssl.

MPyC reads its TLS files from `.config/` in the working directory (party_<i>.crt, party_<i>.key,
mpyc_ca.crt), and programs read their data files relative to it too. So that the program runs in
the directory `mpc-id run` was started in, while the key stays in mpc-id's private run directory
(0700, removed after the run), this opens exactly those three names from that directory instead,
then runs the program as `python PROGRAM ARGS...` would.

Usage: python mpyc_tls.py KEY_DIR PROGRAM [ARGS...]
"""
import os
import re
import runpy
import ssl
import sys

KEY_DIR = sys.argv[1]
PROGRAM = sys.argv[2]
MPYC_FILE = re.compile(r'party_\d+\.(crt|key)|mpyc_ca\.crt')


def redirect(path):
    """`.config/<an MPyC TLS file>` is read from KEY_DIR; every other path is left alone."""
    if isinstance(path, str):
        directory, name = os.path.split(path)
        if directory == '.config' and MPYC_FILE.fullmatch(name):
            return os.path.join(KEY_DIR, name)
    return path


load_cert_chain = ssl.SSLContext.load_cert_chain
load_verify_locations = ssl.SSLContext.load_verify_locations


def _load_cert_chain(self, certfile, keyfile=None, password=None):
    return load_cert_chain(self, redirect(certfile), redirect(keyfile), password)


def _load_verify_locations(self, cafile=None, capath=None, cadata=None):
    return load_verify_locations(self, redirect(cafile), capath, cadata)


ssl.SSLContext.load_cert_chain = _load_cert_chain
ssl.SSLContext.load_verify_locations = _load_verify_locations

# As `python PROGRAM ARGS...`: its arguments, and its own directory first on the import path
# (MPyC's multi-file demos import their neighbours).
sys.argv = sys.argv[2:]
sys.path[0] = os.path.dirname(os.path.abspath(PROGRAM))
runpy.run_path(PROGRAM, run_name='__main__')
