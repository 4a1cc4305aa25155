"""Composite shape ops (frontend/composite/shape.cc) against numpy / PyTorch: flatten,
squeeze, unsqueeze, expand, tile, split, chunk, stack, flip, pixel_shuffle,
pixel_unshuffle and upsample_nearest2d. Data movement only, so results must be exact.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cinn
from netrun import rand, run, run1


@pytest.mark.parametrize("shape,start,end", [((2, 3, 4, 5), 0, -1), ((2, 3, 4, 5), 1, -1),
                                             ((2, 3, 4, 5), 1, 2), ((2, 3, 4, 5), -2, -1),
                                             ((7,), 0, 0)])
def test_flatten(shape, start, end, rng):
    x = rand(rng, *shape)
    out = run1(lambda b, v: b.flatten(v, start, end), x=x)
    np.testing.assert_array_equal(out, torch.flatten(torch.from_numpy(x), start, end).numpy())


@pytest.mark.parametrize("shape,axis", [((1, 3, 1, 4), []), ((1, 3, 1, 4), [2]), ((1, 3, 1, 4), [0, 1]),
                                        ((2, 1), [-1]), ((1, 1), [])])
def test_squeeze(shape, axis, rng):
    x = rand(rng, *shape)
    out = run1(lambda b, v: b.squeeze(v, axis), x=x)
    ref = torch.from_numpy(x)
    for a in sorted([a % len(shape) for a in axis] or range(len(shape)), reverse=True):
        ref = ref.squeeze(a)
    np.testing.assert_array_equal(out, ref.numpy())


@pytest.mark.parametrize("shape,axis", [((3, 4), [0]), ((3, 4), [-1]), ((3, 4), [1, 3]), ((5,), [0, -1])])
def test_unsqueeze(shape, axis, rng):
    x = rand(rng, *shape)
    out = run1(lambda b, v: b.unsqueeze(v, axis), x=x)
    np.testing.assert_array_equal(out, np.expand_dims(x, tuple(axis)))


@pytest.mark.parametrize("shape,target", [((3, 1), [3, 4]), ((3, 1), [2, -1, 5]), ((1,), [4, 2])])
def test_expand(shape, target, rng):
    x = rand(rng, *shape)
    out = run1(lambda b, v: b.expand(v, target), x=x)
    np.testing.assert_array_equal(out, torch.from_numpy(x).expand(*target).numpy())


@pytest.mark.parametrize("shape,reps", [((2, 3), [2, 3]), ((2, 3), [3]), ((3,), [2, 2]),
                                        ((2, 1, 3), [1, 4, 1])])
def test_tile(shape, reps, rng):
    x = rng.integers(-9, 9, shape).astype("int32")
    out = run1(lambda b, v: b.tile(v, reps), x=x)
    np.testing.assert_array_equal(out, np.tile(x, reps))


@pytest.mark.parametrize("shape,sections,axis", [((6, 4), [3], 0), ((6, 4), [2, 2], 1),
                                                 ((3, 10), [2, -1, 3], -1), ((4, 9, 2), [1, 8], 1)])
def test_split(shape, sections, axis, rng):
    x = rand(rng, *shape)
    outs = run(lambda b, v: b.split(v, sections, axis), x=x)
    if len(sections) == 1:
        ref = np.split(x, sections[0], axis)
    else:
        sizes = list(sections)
        if -1 in sizes:
            sizes[sizes.index(-1)] = shape[axis] - (sum(sizes) + 1)
        ref = np.split(x, np.cumsum(sizes)[:-1], axis)
    assert len(outs) == len(ref)
    for o, r in zip(outs, ref):
        np.testing.assert_array_equal(o, r)


def test_split_returns_a_tuple():
    b = cinn.NetBuilder("t")
    x = b.input([6, 4], "float32", "x")
    parts = b.split(x, [2, 4])
    assert isinstance(parts, tuple) and [p.shape for p in parts] == [[2, 4], [4, 4]]


@pytest.mark.parametrize("n,chunks", [(6, 3), (7, 3), (5, 4), (3, 5)])
def test_chunk(n, chunks, rng):
    x = rand(rng, 2, n)
    outs = run(lambda b, v: b.chunk(v, chunks, 1), x=x)
    ref = torch.chunk(torch.from_numpy(x), chunks, 1)
    assert len(outs) == len(ref)
    for o, r in zip(outs, ref):
        np.testing.assert_array_equal(o, r.numpy())


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_stack(axis, rng):
    xs = {f"x{i}": rand(rng, 3, 4) for i in range(3)}
    out = run1(lambda b, *vs: b.stack(list(vs), axis), **xs)
    np.testing.assert_array_equal(out, np.stack(list(xs.values()), axis))


@pytest.mark.parametrize("shape,axis", [((5, 6), [0]), ((5, 6), [1]), ((2, 3, 4), [0, 2]), ((4, 1), [0, 1])])
def test_flip(shape, axis, rng):
    x = rand(rng, *shape)
    out = run1(lambda b, v: b.flip(v, axis), x=x)
    np.testing.assert_array_equal(out, np.flip(x, axis))


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 5), 2), ((18, 2, 3), 3)])
def test_pixel_shuffle_and_unshuffle(shape, r, rng):
    x = rand(rng, *shape)
    out, back = run(lambda b, v: (lambda s: (s, b.pixel_unshuffle(s, r)))(b.pixel_shuffle(v, r)), x=x)
    np.testing.assert_array_equal(out, F.pixel_shuffle(torch.from_numpy(x), r).numpy())
    np.testing.assert_array_equal(back, x)


@pytest.mark.parametrize("scale", [[2, 2], [3, 1], [2]])
def test_upsample_nearest2d(scale, rng):
    x = rand(rng, 2, 3, 4, 5)
    out = run1(lambda b, v: b.upsample_nearest2d(v, scale), x=x)
    sf = tuple(scale * 2 if len(scale) == 1 else scale)
    ref = F.interpolate(torch.from_numpy(x), scale_factor=sf, mode="nearest").numpy()
    np.testing.assert_array_equal(out, ref)


def test_shape_errors():
    b = cinn.NetBuilder("t")
    x = b.input([6, 4], "float32", "x")
    with pytest.raises(cinn.ShapeError, match=r"op 'split'.*do not sum to the size of axis 0 \(6\)"):
        b.split(x, [2, 3])
    with pytest.raises(cinn.ShapeError, match="op 'split'.*4 equal pieces"):
        b.split(x, [4])
    with pytest.raises(cinn.ShapeError, match="op 'stack'.*one shape"):
        b.stack([x, b.input([4, 6], "float32", "y")])
    with pytest.raises(cinn.ShapeError, match="op 'expand'"):
        b.expand(x, [-1, 4, 4])
    with pytest.raises(cinn.ShapeError, match="op 'flatten'.*after"):
        b.flatten(x, 1, 0)
    with pytest.raises(cinn.ShapeError, match="op 'pixel_shuffle'"):
        b.pixel_shuffle(b.input([1, 6, 2, 2], "float32", "z"), 2)
    with pytest.raises(cinn.ShapeError, match="op 'tile'"):
        b.tile(x, [0, 1])
