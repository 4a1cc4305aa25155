"""Pooling window arithmetic shared by the importers (cinn.torch, cinn.onnx): output sizes
with ``ceil_mode``, the padding ``ceil_mode`` adds, and average-pooling divisors.

Per spatial axis, an input of ``size`` elements with ``lo`` / ``hi`` padding is swept by
windows of ``eff = dilation * (kernel - 1) + 1`` elements at ``stride``:

    span = size + lo + hi - eff
    out  = floor(span / stride) + 1                    (ceil_mode: ceil instead)

and with ``ceil_mode`` a last window that would start past the input and the padding
before it is dropped (PyTorch's rule, which ONNX runtimes share). The windows ``ceil_mode``
adds reach past ``hi``: :func:`ceil_extra` is the padding after that they need.
"""

import numpy as np


def output_size(size, kernel, stride, pads=(0, 0), dilation=1, ceil_mode=False):
    """Number of windows along one axis (see the module documentation)."""
    lo, hi = pads
    span = size + lo + hi - (dilation * (kernel - 1) + 1)
    out = span // stride + 1
    if ceil_mode and span % stride:
        out += 1
        if (out - 1) * stride >= size + lo:  # the last window must start inside input or lo
            out -= 1
    return out


def ceil_extra(size, kernel, stride, pads=(0, 0), dilation=1):
    """Padding needed after ``hi`` so that every ``ceil_mode`` window lies in the padded
    input (0 when floor and ceil agree)."""
    lo, hi = pads
    out = output_size(size, kernel, stride, pads, dilation, ceil_mode=True)
    return max(0, (out - 1) * stride + dilation * (kernel - 1) + 1 - size - lo - hi)


def window_counts(out, kernel, stride, size, pads, include_pad):
    """Elements each of the ``out`` windows along one axis averages over: those of the
    input, plus the explicit padding when ``include_pad`` (never the padding that
    ``ceil_mode`` adds), at least 1."""
    lo, hi = pads
    start = np.arange(out) * stride - lo
    end = np.minimum(start + kernel, size + hi)
    if include_pad:
        start = np.maximum(start, -lo)
    else:
        start, end = np.maximum(start, 0), np.minimum(end, size)
    return np.maximum(end - start, 1)


def avg_factors(out, kernel, stride, size, pads, include_pad):
    """``kernel_h * kernel_w / count`` per output position ([out_h, out_w]): what turns
    the window sums divided by the full window size (pool2d over explicitly padded input)
    into averages over :func:`window_counts`. ``out``, ``kernel``, ``stride``, ``size`` are
    per-axis pairs, ``pads`` a pair of (lo, hi)."""
    counts = [window_counts(out[i], kernel[i], stride[i], size[i], pads[i], include_pad) for i in range(2)]
    return float(kernel[0] * kernel[1]) / np.outer(counts[0], counts[1])
