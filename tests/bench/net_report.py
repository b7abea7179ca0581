#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise the "BENCH <name> <json>" lines of tests/bench/net_bench.sh.

Each configuration: median packets/s and Gbit/s over the rounds, spread
((max - min) / median), kicks and calls per packet.  Then each comparison
the issue sets a target for, as the median of the round-by-round ratios
(both runs of a ratio come from the same round) with their range, next to
the target.

  net_report.py RESULTS.log
"""
import json
import statistics
import sys

# (label, ours, theirs, metric, target)
COMPARISONS = [
    ('TX 64 B pps vs write()', 'tx_64_vhost', 'tx_64_write', 'pps', 2.0),
    ('TX 64 B pps, zero copy, vs write()', 'tx_64_vhost_zc', 'tx_64_write', 'pps', 2.0),
    ('TX 64 B pps, kernel backend, vs write()', 'tx_64_vhost_kernel', 'tx_64_write', 'pps', 2.0),
    ('TX 512 B pps vs write()', 'tx_512_vhost', 'tx_512_write', 'pps', None),
    ('TX 1500 B pps vs write()', 'tx_1500_vhost', 'tx_1500_write', 'pps', 1.5),
    ('TX 64 KiB TSO Gbit/s vs writev()+TSO', 'tx_gso_vhost', 'tx_gso_writev', 'gbps', 1.0),
    ('RX 64 B pps vs read()', 'rx_64_vhost', 'rx_64_read', 'pps', 1.5),
    ('RX 64 B pps, kernel backend, vs read()', 'rx_64_vhost_kernel', 'rx_64_read', 'pps', 1.5),
    ('RX 512 B pps vs read()', 'rx_512_vhost', 'rx_512_read', 'pps', 1.5),
    ('RX 1500 B pps vs read()', 'rx_1500_vhost', 'rx_1500_read', 'pps', 1.5),
    ('RX 64 KiB GSO Gbit/s vs read()+vnet hdr', 'rx_gso_vhost', 'rx_gso_read_vnet', 'gbps', None),
]
SIGNAL_TARGET = 0.05


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    runs, order, failed = {}, [], []
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
        print('net bench: no results')
        return 1

    def med(name, key):
        return statistics.median(r[key] for r in runs[name])

    print(f'{"configuration":<20} {"runs":>4} {"packets/s":>10} {"spread":>7} {"Gbit/s":>8} '
          f'{"kicks/pkt":>9} {"calls/pkt":>9}')
    for name in order:
        pps = [r['pps'] for r in runs[name]]
        m = med(name, 'pps')
        spread = (max(pps) - min(pps)) / m if m else 0
        sig = ''
        if runs[name][0]['via'] == 'vhost':
            sig = f'{med(name, "kicks_per_packet"):>9.4f} {med(name, "calls_per_packet"):>9.4f}'
        print(f'{name:<20} {len(runs[name]):>4} {m:>10.0f} {spread:>6.0%} '
              f'{med(name, "gbps"):>8.3f} {sig}')

    print()
    print(f'{"comparison (median of per-round ratios, range)":<52} {"ratio":>6} '
          f'{"range":>13} {"target":>7}')
    misses = 0
    for label, ours, theirs, key, target in COMPARISONS:
        if ours not in runs or theirs not in runs:
            continue
        n = min(len(runs[ours]), len(runs[theirs]))
        ratios = [runs[ours][i][key] / runs[theirs][i][key]
                  for i in range(n) if runs[theirs][i][key] > 0]
        if not ratios:
            continue
        r = statistics.median(ratios)
        verdict = ''
        if target is not None:
            verdict = f'>= {target:.1f}x ' + ('met' if r >= target else 'MISSED')
            misses += r < target
        print(f'{label:<52} {r:>5.2f}x {min(ratios):>5.2f}-{max(ratios):<5.2f}x  {verdict}')
    print()
    for name in order:
        if runs[name][0]['via'] != 'vhost' or runs[name][0]['batch'] != 64:
            continue
        k, c = med(name, 'kicks_per_packet'), med(name, 'calls_per_packet')
        ok = k <= SIGNAL_TARGET and c <= SIGNAL_TARGET
        print(f'{name:<20} batch 64: {k:.4f} kicks, {c:.4f} calls per packet '
              f'(target <= {SIGNAL_TARGET}: {"met" if ok else "MISSED"})')
    if failed:
        print(f'net bench: {len(failed)} runs failed: {" ".join(sorted(set(failed)))}')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
