#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise the "BENCH <name> <json>" lines of tests/bench/ring_bench.sh.

Machines are noisy, so each configuration is reported as its median over
the rounds and as a ratio to the baseline run in the same rounds, never
as a lone absolute number.

  bench.py RESULTS.log
"""
import json
import statistics
import sys


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    runs = {}
    order = []
    failed = []
    for line in open(argv[1], errors='replace'):
        f = line.split(None, 2)
        if len(f) >= 2 and f[0] == 'BENCH-FAILED':
            failed.append(f[1])
        if len(f) < 3 or f[0] != 'BENCH':
            continue
        try:
            r = json.loads(f[2])
        except ValueError:
            failed.append(f[1])
            continue
        if f[1] not in runs:
            order.append(f[1])
        runs.setdefault(f[1], []).append(r)
    if not order:
        print('bench: no results')
        return 1

    def med(name, key):
        return statistics.median(r[key] for r in runs[name])

    base = order[0]
    base_cps = med(base, 'chains_per_sec')
    # spread: (slowest - fastest) / median of chains/s; a ratio between two
    # configurations means little when it is smaller than their spreads.
    print(f'{"configuration":<20} {"runs":>4} {"chains/s":>10} {"spread":>7} '
          f'{"vs " + base:>9} {"MB/s":>8} {"kicks/chain":>11} {"calls/chain":>11}')
    for name in order:
        all_cps = [r['chains_per_sec'] for r in runs[name]]
        cps = med(name, 'chains_per_sec')
        spread = (max(all_cps) - min(all_cps)) / cps if cps else 0
        chains = med(name, 'chains')
        print(f'{name:<20} {len(runs[name]):>4} {cps:>10.0f} {spread:>6.0%} '
              f'{cps / base_cps:>8.2f}x {med(name, "bytes_per_sec") / 1e6:>8.2f} '
              f'{med(name, "kicks") / chains:>11.4f} {med(name, "calls") / chains:>11.4f}')
    if failed:
        print(f'bench: {len(failed)} runs failed: {" ".join(sorted(set(failed)))}')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
