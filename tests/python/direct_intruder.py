"""Connects to a program's direct TLS port as someone it may not admit, and says what happened:
`open` if the connection is still up a second after saying which party it is, `cut` if the
program refused the certificate or closed the connection.

Usage: python direct_intruder.py PORT CERTIFICATE KEY TRUSTED_HEX PARTY"""
import socket
import ssl
import sys

port, certificate, key, trusted, party = sys.argv[1:6]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.minimum_version = ssl.TLSVersion.TLSv1_3
context.check_hostname = False
context.load_verify_locations(cadata=bytes.fromhex(trusted))
context.load_cert_chain(certificate, key)
with socket.create_connection(('127.0.0.1', int(port)), timeout=5) as raw:
    try:
        with context.wrap_socket(raw) as tls:
            tls.sendall(int(party).to_bytes(2, 'little'))
            tls.settimeout(1.0)
            print('open' if tls.recv(1) else 'cut')
    except socket.timeout:
        print('open')
    except OSError as e:
        # A refused certificate arrives as an alert after TLS 1.3's client side is done.
        print('cut', type(e).__name__, file=sys.stderr)
        print('cut')
