#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Write the seed corpus of the fuzz targets (corpus/<target>/).

The seeds are valid and nearly valid inputs in each target's input
format, so the fuzzer starts from chains that pass and mutates from there.
Run it again after changing an input format; the output is committed.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
NEXT, WRITE, INDIRECT = 1, 2, 4


def desc(addr, length, flags=0, nxt=0):
    return struct.pack('<QIHH', addr, length, flags, nxt)


def walk_input(log2num, head, max_segs, pool_size, table, pool=b'', indirect=False,
               io_base=None):
    flags = (1 if indirect else 0) | (8 if io_base is not None else 0)
    hdr = struct.pack('<BBHHH', log2num, flags, head, max_segs, pool_size)
    if io_base is not None:
        hdr += struct.pack('<Q', io_base)
    num = 1 << log2num
    table = table + b'\0' * (16 * num - len(table))
    return hdr + table + pool


def chain_walk_seeds():
    io = 0x100000
    ind_table = desc(0, 64, NEXT, 1) + desc(64, 64, WRITE, 0)
    return {
        'direct-out-in': walk_input(2, 0, 16, 4096,
                                    desc(0, 100, NEXT, 1) + desc(100, 200, WRITE, 0)),
        'single': walk_input(0, 0, 1, 512, desc(0, 512)),
        'indirect': walk_input(3, 0, 16, 1024, desc(256, len(ind_table), INDIRECT),
                               b'\0' * 256 + ind_table, indirect=True),
        'io-base': walk_input(2, 1, 16, 4096,
                              b'\0' * 16 + desc(io + 8, 8, NEXT, 2) + desc(io + 16, 8, WRITE, 0),
                              io_base=io),
        'loop': walk_input(2, 0, 16, 4096, desc(0, 8, NEXT, 1) + desc(8, 8, NEXT, 0)),
        'too-long': walk_input(2, 0, 1, 4096, desc(0, 8, NEXT, 1) + desc(8, 8)),
        'rw-order': walk_input(2, 0, 16, 4096, desc(0, 8, WRITE | NEXT, 1) + desc(8, 8)),
        'pool-end': walk_input(1, 1, 16, 4096, desc(0, 0) + desc(4000, 96)),
    }


# fuzz_lib_used: log2num, buf_count-1, buf_size-1, size flags, features, ops.
OFFER, USED_ENTRY, USED_IDX, RING_BYTE, HONEST, TAKE_BATCH, TAKE, CHAIN_IO, FREE, RESET = range(10)


def used_input(ops, log2num=3, buf_count=15, buf_size=63, features=0, size_flags=0):
    return bytes([log2num, buf_count, buf_size, size_flags, features]) + b''.join(ops)


def offer(out_lens, in_bufs, flags=0):
    lens = list(out_lens) + [0] * (3 - len(out_lens))
    return bytes([OFFER, len(out_lens), in_bufs, flags]) + \
        b''.join(struct.pack('<H', n) for n in lens[:len(out_lens)])


def lib_used_seeds():
    honest = bytes([HONEST]) + struct.pack('<H', 20)
    return {
        'offer-use-take-free': used_input([
            offer([10], 1), honest, bytes([TAKE_BATCH, 7]), bytes([CHAIN_IO, 0]),
            bytes([FREE, 0])]),
        'indirect': used_input([offer([100, 100], 4, 8), honest, bytes([TAKE]),
                                bytes([CHAIN_IO, 0]), bytes([FREE, 0])],
                               features=1, size_flags=4),
        'bad-id': used_input([offer([10], 1),
                              bytes([USED_ENTRY]) + struct.pack('<HII', 0, 7, 0),
                              bytes([USED_IDX]) + struct.pack('<H', 1), bytes([TAKE]),
                              bytes([RESET]), offer([1], 1)]),
        'long-len': used_input([offer([], 1),
                                bytes([USED_ENTRY]) + struct.pack('<HII', 0, 0, 65),
                                bytes([USED_IDX]) + struct.pack('<H', 1),
                                bytes([TAKE_BATCH, 3])]),
        'event-idx': used_input([offer([5], 2), offer([6], 0), honest, honest,
                                 bytes([TAKE_BATCH, 1]), bytes([TAKE]), bytes([FREE, 1]),
                                 bytes([FREE, 0])], features=2),
    }


# fuzz_lib_dev: log2num, buf_count-1, buf_size-1, features, ops.
DESC16, DESC64, AVAIL, AVAIL_IDX, POOL, POP, PUSH, DRESET = range(8)


def dev_input(ops, log2num=3, buf_count=15, buf_size=255, features=0):
    return bytes([log2num, buf_count, buf_size, features]) + b''.join(ops)


def d16(i, addr, length, flags, nxt):
    return bytes([DESC16, i]) + struct.pack('<HHBB', addr, length, flags, nxt)


def avail(pos, head):
    return bytes([AVAIL]) + struct.pack('<HH', pos, head)


def lib_dev_seeds():
    ind = struct.pack('<QIHH', 0, 32, NEXT, 1) + struct.pack('<QIHH', 32, 32, WRITE, 0)
    return {
        'pop-push': dev_input([d16(0, 0, 100, NEXT, 1), d16(1, 256, 100, WRITE, 0),
                               avail(0, 0), bytes([POP, 15]), bytes([PUSH, 0, 100, 0])]),
        'indirect': dev_input([bytes([POOL]) + struct.pack('<H', 512) + ind[:16],
                               bytes([POOL]) + struct.pack('<H', 528) + ind[16:],
                               d16(2, 512, 32, INDIRECT, 0), avail(0, 2),
                               bytes([POP, 15])], features=1),
        'bad-head': dev_input([avail(0, 9), bytes([POP, 1]), bytes([DRESET]),
                               d16(0, 0, 1, 0, 0), avail(0, 0), bytes([POP, 1])]),
        'wide-desc': dev_input([bytes([DESC64, 0]) + struct.pack('<QIHH', 2 ** 64 - 8, 16, 0, 0),
                                avail(0, 0), bytes([POP, 3])]),
    }


def main():
    for target, seeds in (('fuzz_chain_walk', chain_walk_seeds()),
                          ('fuzz_lib_used', lib_used_seeds()),
                          ('fuzz_lib_dev', lib_dev_seeds())):
        d = os.path.join(HERE, 'corpus', target)
        os.makedirs(d, exist_ok=True)
        for name, blob in seeds.items():
            with open(os.path.join(d, name), 'wb') as f:
                f.write(blob)


if __name__ == '__main__':
    main()
