#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise the "BENCH <name> <json>" lines of tests/bench/ring_bench.sh.

First the vqctl configurations: median chains/s over the rounds, spread,
ratio to the baseline run in the same rounds, kicks and calls per chain.
Then the comparisons the bench sets targets for, each the median of its
per-round ratios with their min-max (tests/bench/benchstat.py).

  bench.py [--only-run] RESULTS.log

--only-run leaves out the comparisons that were not run (the host half
has no kernel backend and no vqctl).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bench'))
import benchstat  # noqa: E402


def wall(r):
    """Wall time of a run timed by lib_ringbench --time."""
    return r['wall']


def per_chain(key):
    """KEY per chain of a lib_ringbench or vqctl run, timed or not."""
    def get(r):
        o = r.get('out') or r
        return o[key] / o['chains'] if o.get('chains') else 0
    return get


def ns(r):
    return r['ns_per_chain']


# (label, numerator, denominator, metric, target, sense); ratio = metric(num) / metric(den)
COMPARISONS = [
    ('anon, busy, batch 1: ringtest / lib time', 'rt_busy_1', 'lib_busy_1', wall, 1.0, '>='),
    ('anon, busy, batch 32: ringtest / lib time', 'rt_busy_32', 'lib_busy_32', wall, 1.0, '>='),
    ('anon, notified, batch 1: ringtest / lib', 'rt_sleep_1', 'lib_sleep_1', wall, 1.0, '>='),
    ('anon, notified, batch 32: ringtest / lib', 'rt_sleep_32', 'lib_sleep_32', wall, 1.0, '>='),
    ('kernel, notified, batch 1: ringtest / lib', 'rt_sleep_1', 'kern_sleep_1', wall, 0.5, '>='),
    ('kernel, notified, batch 32: ringtest / lib', 'rt_sleep_32', 'kern_sleep_32', wall, 0.8,
     '>='),
    ('kernel, polling, batch 32: ringtest busy / lib', 'rt_busy_32', 'kern_poll_32', wall, 1.0,
     '>='),
    ('one in flight, anon: RTT / eventfd ping-pong', 'rtt_anon', 'pingpong', ns, 1.2, '<='),
    ('one in flight, kernel: RTT / eventfd ping-pong', 'rtt_kernel', 'pingpong', ns, 1.2, '<='),
    ('vqctl run / lib loop, kernel, notified, batch 32', 'vqctl_sleep_32', 'kern_sleep_32', wall,
     1.2, '<='),
    ('vqctl run / lib loop, kernel, polling, batch 32', 'vqctl_poll_32', 'kern_sleep_poll_32',
     wall, 1.2, '<='),
]
# (label, run, metric, target): per-chain counts, median and min-max over the rounds
COUNTS = [
    # 0 while busy; the bound leaves room for kicks that wake a worker
    # whose poll budget ran out while its CPU was elsewhere (emulation).
    ('kicks sent per chain, kernel, polling, batch 32', 'kern_poll_32', per_chain('kicks_sent'),
     0.001),
    ('calls per chain, anon, EVENT_IDX, batch 64', 'lib_sleep_64', per_chain('calls'), 0.05),
    ('calls per chain, kernel, EVENT_IDX, batch 64', 'kern_sleep_64', per_chain('calls'), 0.05),
    ('calls per chain, vqctl run, EVENT_IDX, batch 64', 'vqctl_64', per_chain('calls'), 0.05),
]


def main(argv):
    only_run = len(argv) > 1 and argv[1] == '--only-run'
    if only_run:
        argv = argv[1:]
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    res = benchstat.Results(argv[1])
    if not res.order:
        print('bench: no results')
        return 1
    vqctl = [n for n in res.order if 'chains_per_sec' in res.runs[n][0]]
    if vqctl:
        vqctl_table(res, vqctl)
        print()
    comparisons(res, only_run)
    if res.failed:
        print(f'bench: {len(res.failed)} runs failed: {" ".join(sorted(set(res.failed)))}')
        return 1
    return 0


def vqctl_table(res, vqctl):
    base = vqctl[0]
    base_cps = res.median(base, 'chains_per_sec')
    print(f'{"configuration":<20} {"runs":>4} {"chains/s":>10} {"spread":>7} '
          f'{"vs " + base:>9} {"MB/s":>8} {"kicks/chain":>11} {"calls/chain":>11}')
    for name in vqctl:
        cps = res.median(name, 'chains_per_sec')
        print(f'{name:<20} {len(res.runs[name]):>4} {cps:>10.0f} '
              f'{res.spread(name, "chains_per_sec"):>6.0%} {cps / base_cps:>8.2f}x '
              f'{res.median(name, "bytes_per_sec") / 1e6:>8.2f} '
              f'{res.median(name, per_chain("kicks")):>11.4f} '
              f'{res.median(name, per_chain("calls")):>11.4f}')


def comparisons(res, only_run):
    print(f'{"comparison (median of per-round ratios)":<50} {"ratio":>6} {"min-max":>13}  target')
    for label, num, den, key, target, sense in COMPARISONS:
        s = benchstat.summary(res.ratios(num, den, key))
        if s is None:
            if not only_run:
                print(f'{label:<50} {"-":>6} {"-":>13}  (not run)')
            continue
        print(f'{label:<50} {s[0]:>6.2f} {s[1]:>6.2f}-{s[2]:<6.2f}  '
              f'{benchstat.verdict(s[0], target, sense)}')
    for label, name, key, target in COUNTS:
        s = benchstat.summary(res.values(name, key))
        if s is None:
            if not only_run:
                print(f'{label:<50} {"-":>6} {"-":>13}  (not run)')
            continue
        print(f'{label:<50} {s[0]:>6.4f} {s[1]:>6.4f}-{s[2]:<6.4f}  '
              f'{benchstat.verdict(s[0], target, "<=")}')
    for name in ('pingpong', 'rtt_anon', 'rtt_kernel'):
        if name in res:
            print(f'  {name}: median {res.median(name, ns) / 1000:.1f} us per round trip')


if __name__ == '__main__':
    sys.exit(main(sys.argv))
