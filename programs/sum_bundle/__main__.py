"""A program that is a bundle: `python3 sum_bundle` runs this file, which imports its helper
module from beside it. Every party adds its own number (party i holds i + 1, or the first
argument); everyone learns only the total."""

import sys

from mpyc.runtime import mpc

import helper


async def main():
    await mpc.start()
    mine = int(sys.argv[1]) if len(sys.argv) > 1 else mpc.pid + 1
    total = await helper.secure_total(mine)
    print(f"bundle total: {total}")
    await mpc.shutdown()


mpc.run(main())
