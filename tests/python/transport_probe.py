"""An MPyC program that reports how its connections to the other parties travel: one line per
peer, `peer <pid>: <address family> <path> <mode of the path's directory>` (path and mode for
Unix sockets), then the usual secure sum, so that the run ends as any other."""
import os
import socket
import stat

from mpyc.runtime import mpc


async def main():
    await mpc.start()
    for peer in mpc.parties:
        if peer.pid == mpc.pid:
            continue
        sock = peer.protocol.transport.get_extra_info('socket')
        line = f'peer {peer.pid}: {socket.AddressFamily(sock.family).name}'
        if sock.family == socket.AF_UNIX:
            # The dialling side sees the path as its peer's name, the listening side as its own.
            path = sock.getpeername() or sock.getsockname()
            mode = stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode)
            line += f' {path} {mode:o}'
        print(line, flush=True)
    total = await mpc.output(mpc.sum(mpc.input(mpc.SecInt()(mpc.pid + 1))))
    print('total:', total)
    await mpc.shutdown()

mpc.run(main())
