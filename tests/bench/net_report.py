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
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchstat  # noqa: E402

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
    res = benchstat.Results(argv[1])
    if not res.order:
        print('net bench: no results')
        return 1
    runs = res.runs

    print(f'{"configuration":<20} {"runs":>4} {"packets/s":>10} {"spread":>7} {"Gbit/s":>8} '
          f'{"kicks/pkt":>9} {"calls/pkt":>9}')
    for name in res.order:
        sig = ''
        if runs[name][0]['via'] == 'vhost':
            sig = (f'{res.median(name, "kicks_per_packet"):>9.4f} '
                   f'{res.median(name, "calls_per_packet"):>9.4f}')
        print(f'{name:<20} {len(runs[name]):>4} {res.median(name, "pps"):>10.0f} '
              f'{res.spread(name, "pps"):>6.0%} {res.median(name, "gbps"):>8.3f} {sig}')

    print()
    print(f'{"comparison (median of per-round ratios, range)":<52} {"ratio":>6} '
          f'{"range":>13} {"target":>7}')
    for label, ours, theirs, key, target in COMPARISONS:
        s = benchstat.summary(res.ratios(ours, theirs, key))
        if s is None:
            continue
        verdict = ''
        if target is not None:
            verdict = f'>= {target:.1f}x ' + ('met' if s[0] >= target else 'MISSED')
        print(f'{label:<52} {s[0]:>5.2f}x {s[1]:>5.2f}-{s[2]:<5.2f}x  {verdict}')
    print()
    for name in res.order:
        if runs[name][0]['via'] != 'vhost' or runs[name][0]['batch'] != 64:
            continue
        k, c = res.median(name, 'kicks_per_packet'), res.median(name, 'calls_per_packet')
        ok = k <= SIGNAL_TARGET and c <= SIGNAL_TARGET
        print(f'{name:<20} batch 64: {k:.4f} kicks, {c:.4f} calls per packet '
              f'(target <= {SIGNAL_TARGET}: {"met" if ok else "MISSED"})')
    if res.failed:
        print(f'net bench: {len(res.failed)} runs failed: {" ".join(sorted(set(res.failed)))}')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
