"""Comparison chain: a walk whose every step depends on the previous secure comparison's opened
result, so no two comparisons overlap. Each party adds a secret start value; at each step the
parties compare the walk's position with the step's pivot, open that one bit, and move up or
down by it. Nothing runs in parallel: the time is the number of steps times a comparison's
round trips, the purest test of what a network path adds per round.

    python3 comparison_chain.py -M3                  # three local parties, plain MPyC
    mpc-id run SESSION -- python3 comparison_chain.py --steps 40
"""

import argparse

from mpyc.runtime import mpc


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', type=int, default=24, help='comparisons, one after the other (default 24)')
    args = parser.parse_args()

    secint = mpc.SecInt(32)
    await mpc.start()
    # Each party's start value follows from its index, so runs can be compared with each other.
    start = (mpc.pid * 7919 + 17) % 1000
    position = mpc.sum(mpc.input(secint(start)))
    ups = 0
    for step in range(args.steps):
        pivot = (step * 104729) % 1000 + 500 * (len(mpc.parties) - 1)
        up = await mpc.output(position < pivot)
        ups += int(up)
        position = position + (37 if up else -41)
    print('steps up:', ups)
    print('final:', await mpc.output(position))
    await mpc.shutdown()


mpc.run(main())
