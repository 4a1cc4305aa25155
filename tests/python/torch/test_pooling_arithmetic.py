"""cinn._pooling, the pooling window arithmetic cinn.torch and cinn.onnx share, against
PyTorch's pooling on every small configuration: output sizes with and without ceil_mode,
the padding ceil_mode adds, and the average divisors with and without count_include_pad.
(cinn.onnx's asymmetric pads are checked by the ONNX reference cases.)"""

import itertools

import numpy as np
import torch
import torch.nn.functional as F

from cinn import _pooling

_CONFIGS = [(size, k, s, p) for size, k, s in itertools.product(range(1, 10), range(1, 5), range(1, 4))
            for p in range(0, k // 2 + 1) if size + 2 * p >= k]


def test_output_sizes_and_ceil_padding_match_pytorch():
    for (size, k, s, p), ceil in itertools.product(_CONFIGS, (False, True)):
        x = torch.zeros(1, 1, 1, size)
        want = F.max_pool2d(x, (1, k), (1, s), (0, p), ceil_mode=ceil).shape[-1]
        got = _pooling.output_size(size, k, s, (p, p), 1, ceil)
        assert got == want, (size, k, s, p, ceil)
        extra = _pooling.ceil_extra(size, k, s, (p, p))
        # the ceil_mode windows fit the input padded by p before and p + extra after,
        # and no less padding after would do
        last = (_pooling.output_size(size, k, s, (p, p), 1, True) - 1) * s + k
        assert last <= size + 2 * p + extra and (extra == 0 or last == size + 2 * p + extra)


def test_average_divisors_match_pytorch():
    for (size, k, s, p), ceil in itertools.product(_CONFIGS, (False, True)):
        ones = torch.ones(1, 1, 1, size, dtype=torch.float64)
        out = _pooling.output_size(size, k, s, (p, p), 1, ceil)
        inside = _pooling.window_counts(out, k, s, size, (p, p), include_pad=False)
        divisor = _pooling.window_counts(out, k, s, size, (p, p), include_pad=True)
        want = F.avg_pool2d(ones, (1, k), (1, s), (0, p), ceil_mode=ceil, count_include_pad=True)
        np.testing.assert_allclose(want.flatten().numpy(), inside / divisor, rtol=1e-12,
                                   err_msg=str((size, k, s, p, ceil)))
        factors = _pooling.avg_factors([1, out], [1, k], [1, s], [1, size], [(0, 0), (p, p)], True)
        np.testing.assert_allclose(factors[0], k / divisor, rtol=1e-12)
