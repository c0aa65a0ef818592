"""Secure ranking: every party holds a few values; together they learn the values in sorted
order, the maximum and how many exceed a threshold, and nothing else.

Sorting and the maximum are built from secure comparisons, each a few rounds of messages
between all parties: this is the latency-bound kind of MPC (hundreds of rounds for a handful
of values), the workload that shows what a network path costs. mpc-id's tests, benchmarks and
`mpc-id demo` run it.

    python3 secure_ranking.py -M3                  # three local parties, plain MPyC
    mpc-id run SESSION -- python3 secure_ranking.py
"""

import argparse

from mpyc.runtime import mpc


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--values', type=int, default=8, help='values per party (default 8)')
    parser.add_argument('--threshold', type=int, default=500, help='count the values above this')
    args = parser.parse_args()

    secint = mpc.SecInt(32)
    await mpc.start()
    # Each party's inputs follow from its index, so runs can be compared with each other.
    mine = [(mpc.pid * 7919 + k * 104729 + 17) % 1000 for k in range(args.values)]
    values = [x for inputs in mpc.input([secint(v) for v in mine]) for x in inputs]
    ranked = mpc.sorted(values)
    largest = mpc.max(values)
    above = mpc.sum([v > args.threshold for v in values])
    print('sorted:', await mpc.output(ranked))
    print('max:', await mpc.output(largest))
    print(f'above {args.threshold}:', await mpc.output(above))
    await mpc.shutdown()


mpc.run(main())
