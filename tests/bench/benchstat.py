# SPDX-License-Identifier: GPL-2.0
"""What the bench reports share: reading the "BENCH <name> <json>" lines
of the guest scripts (tests/bench/bench_rounds.sh) and summarising them.

Machines are noisy, so a configuration is reported as its median over the
rounds with its spread, and a comparison as the median of per-round
ratios (both runs of a ratio come from the same round) with their range,
never as a lone absolute number.
"""
import json
import statistics


class Results:
    """The runs of one results log: by name, in order, and by round."""

    def __init__(self, path):
        self.runs = {}      # name -> [json object, ...] in round order
        self.order = []     # names, first seen first
        self.rounds = []    # [{name: json object}], one per round
        self.failed = []    # names of failed runs
        for line in open(path, errors='replace'):
            f = line.split(None, 2)
            if len(f) >= 2 and f[0] == 'BENCH-ROUND':
                self.rounds.append({})
                continue
            if len(f) >= 2 and f[0] == 'BENCH-FAILED':
                self.failed.append(f[1])
            if len(f) < 3 or f[0] != 'BENCH':
                continue
            try:
                r = json.loads(f[2])
            except ValueError:
                self.failed.append(f[1])
                continue
            if f[1] not in self.runs:
                self.order.append(f[1])
            self.runs.setdefault(f[1], []).append(r)
            if not self.rounds:
                self.rounds.append({})
            self.rounds[-1][f[1]] = r

    def __contains__(self, name):
        return name in self.runs

    def values(self, name, key):
        """KEY (a field name or a function of the run) of each run of NAME."""
        get = key if callable(key) else (lambda r: r[key])
        return [get(r) for r in self.runs.get(name, [])]

    def median(self, name, key):
        return statistics.median(self.values(name, key))

    def spread(self, name, key):
        """(max - min) / median: a ratio smaller than this means little."""
        v = self.values(name, key)
        m = statistics.median(v) if v else 0
        return (max(v) - min(v)) / m if m else 0

    def ratios(self, num, den, key, den_key=None):
        """KEY(NUM) / KEY(DEN) (or DEN_KEY(DEN)) in each round that has both."""
        get = key if callable(key) else (lambda r: r[key])
        get_den = get if den_key is None else (
            den_key if callable(den_key) else (lambda r: r[den_key]))
        out = []
        for rnd in self.rounds:
            if num in rnd and den in rnd:
                d = get_den(rnd[den])
                if d:
                    out.append(get(rnd[num]) / d)
        return out


def summary(values):
    """(median, min, max) of VALUES, or None when there are none."""
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def verdict(value, target, sense):
    """'met' / 'MISSED' for VALUE against TARGET; SENSE is '>=' or '<='."""
    if target is None:
        return ''
    ok = value >= target if sense == '>=' else value <= target
    return f'{sense} {target:g} ' + ('met' if ok else 'MISSED')
