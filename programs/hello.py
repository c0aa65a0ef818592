"""The smallest MPC: the parties connect, add one secret number each (their party index), and
stop. As long as MPyC's own hello-world demo; what it measures is start-up.

    mpc-id run SESSION -- python3 hello.py

Plain MPyC, for comparison: python3 hello.py -M3 -I0 (and so on for each party).
"""

from mpyc.runtime import mpc


async def main():
    await mpc.start()
    total = await mpc.output(mpc.sum(mpc.input(mpc.SecInt(16)(mpc.pid))))
    print(f"hello from party {mpc.pid} of {len(mpc.parties)}: the indices add up to {total}")
    await mpc.shutdown()


if __name__ == "__main__":
    mpc.run(main())
