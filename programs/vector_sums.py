"""Vector sums: every party holds a long vector; together they learn the element-wise sum and
the inner product of the first two parties' vectors, and nothing else.

Few rounds, many bytes: the bandwidth-bound kind of MPC, which shows what a tunnel carries.
mpc-id's tests run it next to secure_ranking.py.

    python3 vector_sums.py -M3
    mpc-id run SESSION -- python3 vector_sums.py
"""

import argparse

from mpyc.runtime import mpc


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--length', type=int, default=20000, help='vector length (default 20000)')
    args = parser.parse_args()

    secint = mpc.SecInt(64)
    await mpc.start()
    mine = [(mpc.pid + 1) * (k % 997) + k // 7 for k in range(args.length)]
    vectors = mpc.input([secint(v) for v in mine])
    total = mpc.vector_add(vectors[0], vectors[1])
    for vector in vectors[2:]:
        total = mpc.vector_add(total, vector)
    inner = mpc.in_prod(vectors[0], vectors[1])
    total = await mpc.output(total)
    print('length:', len(total))
    print('checksum:', sum(total) % (1 << 61), 'first:', total[:5], 'last:', total[-3:])
    print('inner product:', await mpc.output(inner))
    await mpc.shutdown()


mpc.run(main())
