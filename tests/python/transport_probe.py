"""An MPyC program that reports how its connections to the other parties travel: one line per
peer, `peer <pid>: <address family> <tls|plain> <path> <mode of the path's directory>` (path and
mode for Unix sockets), then the usual secure sum, so that the run ends as any other.
With TRANSPORT_PROBE_LATE=<party>:<seconds> in its environment, that party's MPyC starts that much
later than the others'."""
import os
import socket
import stat
import time

from mpyc.runtime import mpc


async def main():
    late, _, seconds = os.environ.get('TRANSPORT_PROBE_LATE', '').partition(':')
    if late == str(mpc.pid):
        time.sleep(float(seconds))
    await mpc.start()
    for peer in mpc.parties:
        if peer.pid == mpc.pid:
            continue
        transport = peer.protocol.transport
        # A TLS transport hides its socket on the accepting side: its own name says the family.
        sock = transport.get_extra_info('socket')
        family = sock.family if sock is not None else (
            socket.AF_UNIX if isinstance(transport.get_extra_info('sockname'), str) else socket.AF_INET)
        tls = 'tls' if transport.get_extra_info('ssl_object') is not None else 'plain'
        line = f'peer {peer.pid}: {socket.AddressFamily(family).name} {tls}'
        if family == socket.AF_UNIX:
            # The dialling side sees the path as its peer's name, the listening side as its own.
            path = sock.getpeername() or sock.getsockname()
            mode = stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode)
            line += f' {path} {mode:o}'
        print(line, flush=True)
    total = await mpc.output(mpc.sum(mpc.input(mpc.SecInt()(mpc.pid + 1))))
    print('total:', total)
    await mpc.shutdown()

mpc.run(main())
