#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn what the test runs printed into one result per test.

Every result is one line "PASS|FAIL|SKIP <name>[ :: <why>]" appended to a
results file; "summary" turns that file into TAP and the closing line
"N passed, N failed, N skipped".

  report.py guest RUN RESULTS.log CONSOLE.log OUT   a guest boot
  report.py tap PREFIX TAP.log OUT                  a host TAP stream
  report.py summary OUT TAPFILE                     the end of the run
"""
import re
import sys

RESULT = re.compile(r'^(?P<indent>\s*)(?P<not>not )?ok \d+(?: -)? (?P<name>.*?)'
                    r'(?:\s+#\s*(?P<directive>SKIP|TODO)\b(?P<why>.*))?\s*$',
                    re.IGNORECASE)
PLAN = re.compile(r'^\s*1\.\.(\d+)')
# A runner that prints several programs' TAP names each one first.
SECTION = re.compile(r'^# libvqchar (\S+): (\S+)')

# What a clean kernel log never holds.  KASAN, UBSAN, lockdep and
# kmemleak reports all begin with one of these; so do the hung task and
# soft lockup detectors, debugobjects (ODEBUG) and RCU's checks
# (PROVE_RCU's "suspicious RCU usage", the stall detector).
KERNEL_BAD = re.compile(
    r'BUG:|WARNING:|UBSAN:|Oops|general protection fault|Kernel panic|'
    r'kernel BUG|unreferenced object|suspected memory leak|'
    r'possible (circular|recursive) locking|inconsistent lock state|'
    r'INFO: task .* blocked|blocked for more than|soft lockup|ODEBUG:|'
    r'suspicious RCU usage|rcu: .*detected stalls?|self-detected stall|'
    r'Call Trace:|RIP: ')


KMEMLEAK_COUNT = re.compile(r'kmemleak: \d+ new suspected memory leaks')
CANARY = '[vqchar_leak_canary]'


def split_leaks(lines):
    """kmemleak's report as blocks, one per object: (leaks, canaries).
    A canary block is the harness's own deliberate leak."""
    blocks = []
    for ln in lines:
        if 'unreferenced object' in ln:
            blocks.append([])
        if blocks:
            blocks[-1].append(ln)
    canaries = [b for b in blocks if any(CANARY in ln for ln in b)]
    leaks = [b for b in blocks if not any(CANARY in ln for ln in b)]
    return leaks, canaries


def emit(out, status, name, why=''):
    line = f'{status} {name}'
    if why:
        line += ' :: ' + ' '.join(why.split())
    print(line)
    out.write(line + '\n')


def parse_tap(lines, prefix, out, ktap=False):
    """Report the leaves of a (K)TAP tree.  A result line at indent d is a
    parent when result lines at a deeper indent came right before it."""
    seen = 0
    failed = 0
    plan = None
    # depth -> [results, failures] of lines not yet claimed by a parent
    pending = {}
    base = prefix
    for raw in lines:
        line = raw.rstrip('\n')
        m = SECTION.match(line)
        if m:
            prefix = f'{base}/{m.group(1)}/{m.group(2)}'
            plan = None
            continue
        m = PLAN.match(line)
        if m and not line.startswith((' ', '\t')) and plan is None:
            plan = int(m.group(1))
        m = RESULT.match(line)
        if not m:
            continue
        depth = len(m.group('indent').expandtabs(8))
        kids = [pending.pop(d) for d in list(pending) if d > depth]
        nkids = sum(k[0] for k in kids)
        kid_fails = sum(k[1] for k in kids)
        name = f'{prefix}/{m.group("name").strip()}'
        bad = bool(m.group('not'))
        slot = pending.setdefault(depth, [0, 0])
        slot[0] += 1
        if bad:
            slot[1] += 1
        if nkids and (not bad or kid_fails):
            continue
        seen += 1
        if m.group('directive') and m.group('directive').upper() == 'SKIP':
            emit(out, 'SKIP', name, m.group('why') or '')
        elif bad:
            failed += 1
            emit(out, 'FAIL', name, 'failed outside its cases' if nkids else '')
        else:
            emit(out, 'PASS', name)
    return seen, failed, plan


def guest(run, results_path, console_path, out):
    try:
        results = open(results_path, errors='replace').read().splitlines()
    except OSError:
        results = []
    try:
        console = open(console_path, errors='replace').read().splitlines()
    except OSError:
        console = []

    sections = []
    cur = None
    done = False
    loads = {}
    started = []
    for line in results:
        if line.startswith('#VQ '):
            f = line.split()
            if f[1] == 'BEGIN':
                cur = (f[2], f[3] if len(f) > 3 else f[2], [])
            elif f[1] in ('END', 'EXIT') and cur:
                rc = f[4] if f[1] == 'EXIT' and len(f) > 4 else None
                sections.append((cur[0], cur[1], cur[2], rc))
                cur = None
            elif f[1] == 'STARTED':
                started.append(f[2])
            elif f[1] == 'LOAD':
                loads[f[2]] = f[3]
            elif f[1] == 'RMMOD':
                emit(out, 'PASS' if f[2] == 'ok' else 'FAIL', f'{run}/rmmod')
            elif f[1] == 'DONE':
                done = True
            continue
        if cur:
            cur[2].append(line)
    if cur:
        sections.append((cur[0], cur[1], cur[2], 'unfinished'))

    for mod, state in loads.items():
        emit(out, 'PASS' if state == 'ok' else 'FAIL', f'{run}/load/{mod}')

    kunit_suites = 0
    for kind, name, body, rc in sections:
        if kind == 'kunit':
            kunit_suites += 1
            seen, failed, _ = parse_tap(body, f'{run}/kunit/{name}', out, True)
            if not seen:
                emit(out, 'FAIL', f'{run}/kunit/{name}', 'no results')
        elif kind == 'prog':
            seen, failed, plan = parse_tap(body, f'{run}/{name}', out)
            if rc == 'unfinished' or rc is None:
                emit(out, 'FAIL', f'{run}/{name}', 'did not finish')
            elif rc == '124':
                emit(out, 'FAIL', f'{run}/{name}', 'timed out')
            elif rc != '0' and not failed:
                emit(out, 'FAIL', f'{run}/{name}', f'exit status {rc}')
            elif plan is not None and seen < plan:
                emit(out, 'FAIL', f'{run}/{name}', f'{seen} of {plan} results')
        elif kind == 'kmemleak':
            leaks, canaries = split_leaks(body)
            if leaks:
                emit(out, 'FAIL', f'{run}/kmemleak', f'{len(leaks)} leaks')
            else:
                emit(out, 'PASS', f'{run}/kmemleak')
            if 'vqchar_leak_canary' in loads:
                if canaries:
                    emit(out, 'PASS', f'{run}/kmemleak-finds-canary')
                else:
                    emit(out, 'FAIL', f'{run}/kmemleak-finds-canary',
                         'the deliberate leak was not reported: the scans see no leaks')
    # A job that started but never reported: the guest died under it.  The
    # KUnit job reports by its LOAD line, the programs by their sections.
    finished = {name for kind, name, _, _ in sections if kind == 'prog'}
    if 'vqchar_test' in loads:
        finished.add('kunit')
    for job in started:
        if job not in finished:
            emit(out, 'FAIL', f'{run}/{job}', 'did not finish')
    if 'vqchar_test' in loads and not kunit_suites:
        emit(out, 'FAIL', f'{run}/kunit', 'no KUnit suite reported')

    if not done:
        emit(out, 'FAIL', f'{run}/guest-finished', 'guest hung or crashed')

    # kmemleak's "N new suspected memory leaks" line is left to the
    # kmemleak section, which tells the canary from real leaks.
    bad = [ln for ln in console if KERNEL_BAD.search(ln) and not KMEMLEAK_COUNT.search(ln)]
    bad += [ln for kind, _, body, _ in sections if kind == 'kmemleak'
            for block in split_leaks(body)[0] for ln in block if KERNEL_BAD.search(ln)]
    if bad:
        emit(out, 'FAIL', f'{run}/kernel-log-clean', bad[0])
        sys.stderr.write(f'--- {run}: kernel log reports ({console_path}) ---\n')
        for ln in bad[:40]:
            sys.stderr.write(ln + '\n')
    else:
        emit(out, 'PASS', f'{run}/kernel-log-clean')


def summary(path, tap_path):
    rows = [ln.rstrip('\n') for ln in open(path) if ln.strip()]
    counts = {'PASS': 0, 'FAIL': 0, 'SKIP': 0}
    with open(tap_path, 'w') as tap:
        tap.write('TAP version 13\n')
        tap.write(f'1..{len(rows)}\n')
        for i, row in enumerate(rows, 1):
            status, rest = row.split(' ', 1)
            name, _, why = rest.partition(' :: ')
            counts[status] += 1
            if status == 'PASS':
                tap.write(f'ok {i} {name}\n')
            elif status == 'SKIP':
                tap.write(f'ok {i} {name} # SKIP {why}\n')
            else:
                tap.write(f'not ok {i} {name}' + (f' # {why}' if why else '') + '\n')
    fails = [r for r in rows if r.startswith('FAIL')]
    if fails:
        print('\nFailures:')
        for r in fails:
            print('  ' + r[5:])
    print(f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
    return 1 if counts['FAIL'] or not rows else 0


def main(argv):
    if len(argv) >= 6 and argv[1] == 'guest':
        with open(argv[5], 'a') as out:
            guest(argv[2], argv[3], argv[4], out)
        return 0
    if len(argv) >= 5 and argv[1] == 'tap':
        with open(argv[3], errors='replace') as f, open(argv[4], 'a') as out:
            seen, _, _ = parse_tap(f.read().splitlines(), argv[2], out)
            if not seen:
                emit(out, 'FAIL', argv[2], 'no results')
        return 0
    if len(argv) >= 4 and argv[1] == 'summary':
        return summary(argv[2], argv[3])
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
