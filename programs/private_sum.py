"""The sum of the parties' private numbers, and nothing else about them.

Each party gives its own number after the program, as its private input; no one else sees it:

    mpc-id run SESSION -- python3 private_sum.py 42

or from a file, read relative to the directory the run was started in (`@` and its path):

    mpc-id run SESSION -- python3 private_sum.py @data/mine.txt

Plain MPyC, for comparison: python3 private_sum.py -M3 -I0 42 (and so on for each party).
"""

import sys

from mpyc.runtime import mpc


async def main():
    # MPyC has taken its own options out of sys.argv; what is left is this party's.
    given = sys.argv[1] if len(sys.argv) > 1 else "0"
    if given.startswith("@"):
        with open(given[1:], encoding="utf-8") as file:
            given = file.read()
    own = int(given)
    secint = mpc.SecInt(64)
    await mpc.start()
    shares = mpc.input(secint(own))
    total = await mpc.output(mpc.sum(shares))
    print(f"sum: {total}")
    await mpc.shutdown()


if __name__ == "__main__":
    mpc.run(main())
