#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests of report.py, the part of make check that decides what passed.

A mistake there loses results silently, so each rule it applies has a case
here.  Prints TAP; make check runs it on the host.
"""
import contextlib
import io
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

CANARY_LEAK = '''unreferenced object 0xffff888004ca3300 (size 64):
  comm "insmod", pid 48, jiffies 4294894710
  backtrace (crc 0):
    __kmalloc_cache_noprof+0x202/0x370
    vqchar_leak_canary_leak+0x31/0x1000 [vqchar_leak_canary]
    do_one_initcall+0xc0/0x360'''
REAL_LEAK = '''unreferenced object 0xffff888004ca3400 (size 32):
  comm "vqchar_ioctl", pid 99, jiffies 4294894999
  backtrace (crc 1):
    __kmalloc_cache_noprof+0x202/0x370
    vqchar_ioctl+0x248/0x500 [vqchar]'''


def run_guest(results, console=''):
    """report.guest() on the given logs: {name: (status, why)}."""
    with tempfile.TemporaryDirectory() as d:
        rpath = os.path.join(d, 'r.log')
        cpath = os.path.join(d, 'c.log')
        opath = os.path.join(d, 'o.txt')
        with open(rpath, 'w') as f:
            f.write(results)
        with open(cpath, 'w') as f:
            f.write(console)
        with open(opath, 'w') as out, contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            report.guest('g', rpath, cpath, out)
        rows = {}
        for line in open(opath):
            status, rest = line.rstrip('\n').split(' ', 1)
            name, _, why = rest.partition(' :: ')
            rows[name] = (status, why)
        return rows


def guest_log(*body, done=True):
    lines = ['#VQ START 6.12 check', '#VQ LOAD vqchar ok'] + list(body)
    if done:
        lines.append('#VQ DONE')
    return '\n'.join(lines) + '\n'


def prog(name, tap, rc=0):
    return [f'#VQ STARTED {name}', f'#VQ BEGIN prog {name}'] + tap + \
        [f'#VQ EXIT prog {name} {rc} 1s']


def leaks(*blocks):
    return ['#VQ BEGIN kmemleak'] + '\n'.join(blocks).splitlines() + ['#VQ END kmemleak']


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@case
def program_results_are_reported_one_by_one():
    r = run_guest(guest_log(*prog('p', ['1..2', 'ok 1 a', 'not ok 2 b'], rc=1)))
    assert r['g/p/a'][0] == 'PASS', r
    assert r['g/p/b'][0] == 'FAIL', r
    assert 'g/p' not in r, r


@case
def a_program_short_of_its_plan_fails():
    r = run_guest(guest_log(*prog('p', ['1..3', 'ok 1 a'])))
    assert r['g/p'] == ('FAIL', '1 of 3 results'), r


@case
def a_bad_exit_without_a_failed_test_fails():
    r = run_guest(guest_log(*prog('p', ['1..1', 'ok 1 a'], rc=139)))
    assert r['g/p'] == ('FAIL', 'exit status 139'), r


@case
def a_timeout_is_named():
    r = run_guest(guest_log(*prog('p', ['1..1', 'ok 1 a'], rc=124)))
    assert r['g/p'] == ('FAIL', 'timed out'), r


@case
def a_job_started_but_never_reported_fails():
    r = run_guest(guest_log('#VQ STARTED p', done=False))
    assert r['g/p'] == ('FAIL', 'did not finish'), r
    assert r['g/guest-finished'][0] == 'FAIL', r


@case
def ktap_parents_count_only_when_they_fail_alone():
    ktap = ['#VQ LOAD vqchar_test ok', '#VQ STARTED kunit', '#VQ BEGIN kunit s',
            'KTAP version 1', '1..2',
            '    KTAP version 1', '    1..2', '    ok 1 leaf_a', '    ok 2 leaf_b',
            'ok 1 param_case',
            '    KTAP version 1', '    1..1', '    ok 1 leaf_c',
            'not ok 2 broken_case',
            '#VQ END kunit s']
    r = run_guest(guest_log(*ktap))
    assert r['g/kunit/s/leaf_a'][0] == 'PASS', r
    assert 'g/kunit/s/param_case' not in r, r
    assert r['g/kunit/s/broken_case'] == ('FAIL', 'failed outside its cases'), r


@case
def a_loaded_kunit_module_without_suites_fails():
    r = run_guest(guest_log('#VQ STARTED kunit', '#VQ LOAD vqchar_test ok'))
    assert r['g/kunit'] == ('FAIL', 'no KUnit suite reported'), r


@case
def the_canary_alone_passes_both_leak_checks():
    r = run_guest(guest_log('#VQ LOAD vqchar_leak_canary ok', *leaks(CANARY_LEAK)),
                  console='[ 9.1] kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)\n')
    assert r['g/kmemleak'][0] == 'PASS', r
    assert r['g/kmemleak-finds-canary'][0] == 'PASS', r
    assert r['g/kernel-log-clean'][0] == 'PASS', r


@case
def a_real_leak_fails_beside_the_canary():
    r = run_guest(guest_log('#VQ LOAD vqchar_leak_canary ok', *leaks(CANARY_LEAK, REAL_LEAK)))
    assert r['g/kmemleak'] == ('FAIL', '1 leaks'), r
    assert r['g/kmemleak-finds-canary'][0] == 'PASS', r
    assert r['g/kernel-log-clean'][0] == 'FAIL', r


@case
def a_missing_canary_fails():
    r = run_guest(guest_log('#VQ LOAD vqchar_leak_canary ok', *leaks()))
    assert r['g/kmemleak'][0] == 'PASS', r
    assert r['g/kmemleak-finds-canary'][0] == 'FAIL', r


@case
def kernel_reports_on_the_console_fail():
    for bad in ('WARNING: CPU: 1 PID: 1 at kmod/main.c:330 vqchar_ioctl',
                'BUG: KASAN: slab-out-of-bounds in vqchar_queue_run',
                'UBSAN: shift-out-of-bounds in common/vq_chain.c:12',
                'WARNING: possible circular locking dependency detected',
                # The detectors the debug kernel adds for hangs and lifetimes.
                'INFO: task vqchar_stress:88 blocked for more than 120 seconds.',
                'task:kworker/0:1 state:D stack:0 pid:9 blocked for more than 122 seconds',
                'watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [vqchar_stress:91]',
                'rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:',
                'rcu: INFO: rcu_preempt self-detected stall on CPU',
                'ODEBUG: free active (active state 0) object: 00000000f3 object type: work_struct',
                'ODEBUG: activate not available (active state 0) object type: timer_list',
                '=============================\n[ 1.0] suspicious RCU usage.'):
        r = run_guest(guest_log(), console=f'[ 1.0] {bad}\n')
        assert r['g/kernel-log-clean'][0] == 'FAIL', (bad, r)


@case
def summary_counts_and_fails_on_any_failure():
    with tempfile.TemporaryDirectory() as d:
        res = os.path.join(d, 'r.txt')
        tap = os.path.join(d, 'r.tap')
        with open(res, 'w') as f:
            f.write('PASS a\nSKIP b :: why\nFAIL c :: broke\n')
        with contextlib.redirect_stdout(io.StringIO()) as s:
            rc = report.summary(res, tap)
        assert rc == 1
        assert s.getvalue().rstrip().endswith('1 passed, 1 failed, 1 skipped'), s.getvalue()
        assert 'not ok 3 c # broke' in open(tap).read()
        with open(res, 'w') as f:
            f.write('PASS a\n')
        with contextlib.redirect_stdout(io.StringIO()):
            assert report.summary(res, tap) == 0


def main():
    print('TAP version 13')
    print(f'1..{len(CASES)}')
    failed = 0
    for i, fn in enumerate(CASES, 1):
        try:
            fn()
            print(f'ok {i} {fn.__name__}')
        except Exception as e:  # a failed assert or a crash alike
            failed += 1
            print(f'not ok {i} {fn.__name__}')
            for line in repr(e).splitlines():
                print(f'# {line}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
