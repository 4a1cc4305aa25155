"""A numpy Philox4x32-10 (Salmon et al., SC 2011): the reference for CINN's philox_uniform
intrinsic and the random ops built on it (importable from every test directory)."""

import numpy as np

M0, M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
W0, W1 = np.uint32(0x9E3779B9), np.uint32(0xBB67AE85)
MASK = np.uint64(0xFFFFFFFF)


def philox4x32_10(counter, key):
    """counter: 4 uint32 arrays (broadcastable), key: 2 uint32 arrays -> 4 uint32 arrays."""
    c = [np.asarray(x, dtype=np.uint32) for x in counter]
    k0, k1 = (np.asarray(x, dtype=np.uint32) for x in key)
    with np.errstate(over="ignore"):
        for r in range(10):
            if r:
                k0 = k0 + W0
                k1 = k1 + W1
            p0 = c[0].astype(np.uint64) * M0
            p1 = c[2].astype(np.uint64) * M1
            hi0, lo0 = (p0 >> np.uint64(32)).astype(np.uint32), (p0 & MASK).astype(np.uint32)
            hi1, lo1 = (p1 >> np.uint64(32)).astype(np.uint32), (p1 & MASK).astype(np.uint32)
            c = [hi1 ^ c[1] ^ k0, lo1, hi0 ^ c[3] ^ k1, lo0]
    return c


def split64(x):
    x = np.asarray(x).astype(np.uint64)
    return (x & MASK).astype(np.uint32), (x >> np.uint64(32)).astype(np.uint32)


def philox_uniform(seed, stream, index):
    """CINN's philox_uniform: key = seed, counter = (index, stream), 64 bits each, low word
    first; the top 24 bits of output word 0 times 2^-24 (float32 in [0, 1))."""
    i_lo, i_hi = split64(index)
    s_lo, s_hi = split64(stream)
    k_lo, k_hi = split64(seed)
    w0 = philox4x32_10([i_lo, i_hi, s_lo, s_hi], [k_lo, k_hi])[0]
    return ((w0 >> np.uint32(8)).astype(np.float64) * 2.0 ** -24).astype(np.float32)
