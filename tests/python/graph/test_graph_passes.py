"""Graph passes (DCE, CSE, simplification, constant folding), horizontal fusion, in-place
memory planning, IR dumps and the compile cache, checked through the primitive graph and
the executable, with numerics against numpy."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import cinn


def ops_of(exe):
    """The ops of the primitive graph, in order."""
    ops = []
    for line in exe.primitive_graph.splitlines():
        if " = " in line:
            ops.append(line.split(" = ")[1].split("(")[0])
    return ops


def compile_one(build, shapes, **kw):
    b = cinn.NetBuilder("t")
    vals = [b.input(s, "float32", n) for n, s in shapes.items()]
    outs = build(b, *vals)
    return cinn.compile(b.build(list(outs) if isinstance(outs, (list, tuple)) else [outs]),
                        cache=False, **kw)


def test_dead_code_is_removed(rng):
    def build(b, x):
        b.exp(x)  # unused
        return b.tanh(x)
    exe = compile_one(build, {"x": [8]})
    assert ops_of(exe) == ["tanh"]


def test_cse_merges_equal_nodes(rng):
    x, y = rng.standard_normal((2, 4, 8)).astype("float32")
    exe = compile_one(lambda b, x, y: b.mul(b.add(x, y), b.add(x, y)), {"x": [4, 8], "y": [4, 8]})
    assert ops_of(exe).count("add") == 1
    np.testing.assert_allclose(exe(x=x, y=y)[0], (x + y) ** 2, rtol=1e-6)


def test_cse_keeps_different_attributes():
    exe = compile_one(lambda b, x: b.add(b.reduce(x, "sum", [0]), b.reduce(x, "sum", [1])),
                      {"x": [8, 8]})
    assert ops_of(exe).count("reduce") == 2


def test_simplify_identities(rng):
    x = rng.standard_normal((4, 6)).astype("float32")

    def build(b, x):
        one = b.fill_constant([4, 6], 1.0)
        zero = b.fill_constant([6], 0.0)
        y = b.add(b.mul(x, one), zero)                       # x*1 + 0
        y = b.transpose(b.transpose(y, [1, 0]), [1, 0])      # identity permutation
        y = b.reshape(b.reshape(y, [24]), [4, 6])            # back to its shape
        y = b.cast(b.cast(y, "float64"), "float32")          # lossless round trip
        return b.neg(b.neg(y))
    exe = compile_one(build, {"x": [4, 6]})
    assert ops_of(exe) == [], exe.primitive_graph
    np.testing.assert_array_equal(exe(x=x)[0], x)


def test_simplify_composes_transposes_and_keeps_lossy_casts(rng):
    x = rng.uniform(-5, 5, (2, 3, 4)).astype("float32")

    def build(b, x):
        t = b.transpose(b.transpose(x, [1, 2, 0]), [2, 0, 1])  # composes to the identity
        u = b.transpose(b.transpose(x, [1, 0, 2]), [0, 2, 1])
        lossy = b.cast(b.cast(x, "int32"), "float32")
        return t, u, lossy
    exe = compile_one(build, {"x": [2, 3, 4]})
    ops = ops_of(exe)
    assert ops.count("transpose") == 1 and ops.count("cast") == 2, exe.primitive_graph
    t, u, lossy = exe(x=x)
    np.testing.assert_array_equal(t, x)
    np.testing.assert_array_equal(u, x.transpose(1, 0, 2).transpose(0, 2, 1))
    np.testing.assert_array_equal(lossy, np.trunc(x))


def test_constant_folding_splat(rng):
    x = rng.standard_normal((5, 7)).astype("float32")

    def build(b, x):
        c = b.sqrt(b.exp(b.fill_constant([7], 2.0)))   # a splat: e^2 then sqrt -> e
        return b.mul(x, c)
    exe = compile_one(build, {"x": [5, 7]})
    assert ops_of(exe) == ["fill_constant", "mul"], exe.primitive_graph
    np.testing.assert_allclose(exe(x=x)[0], x * np.e, rtol=1e-6)
    off = compile_one(build, {"x": [5, 7]}, fold_constants=False)
    assert "exp" in ops_of(off)


@pytest.mark.parametrize("n", [3, 40])  # an inline literal, and a constant buffer
def test_constant_folding_tensor(rng, n):
    x = rng.standard_normal((n, n)).astype("float32")

    def build(b, x):
        i = b.cast(b.iota([n, n], 0), "float32")
        j = b.cast(b.iota([n, n], 1), "float32")
        mask = b.select(b.compare(j, i, "le"), b.fill_constant([n, n], 0.0),
                        b.fill_constant([n, n], -1e9))          # causal mask
        return b.add(x, b.exp(b.mul(mask, b.fill_constant([n, n], 1e-9))))
    exe = compile_one(build, {"x": [n, n]})
    assert ops_of(exe) == ["constant", "add"], exe.primitive_graph
    ref = x + np.exp(np.where(np.tril(np.ones((n, n))) > 0, 0.0, -1.0)).astype("float32")
    np.testing.assert_allclose(exe(x=x)[0], ref, rtol=1e-6)
    assert exe.input_names == ["x"]


@pytest.mark.parametrize("groups", [1, 4])
def test_conv_scale_folds_into_constant_weights(rng, groups):
    """Inference batch norm after a convolution with frozen weights: (conv(x, w) - m) * s + b
    with w, m, s, b constants becomes conv(x, w * s) + (b - m * s): the kernel has no
    multiply left, and the result matches within float32 rounding."""
    x = rng.standard_normal((2, 8, 9, 9)).astype("float32")
    w = rng.standard_normal((12, 8 // groups, 3, 3)).astype("float32")
    m, s, bias = (rng.standard_normal((1, 12, 1, 1)).astype("float32") for _ in range(3))

    def build(b, x):
        c = lambda a: b.call("constant", [], value=a)[0]  # noqa: E731
        y = b.conv2d(x, c(w), padding=[1, 1], groups=groups)
        return b.relu(b.add(b.mul(b.sub(y, c(m)), c(s)), c(bias)))
    exe = compile_one(build, {"x": [2, 8, 9, 9]})
    assert "mul" not in ops_of(exe), exe.primitive_graph
    ref = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1,
                                     groups=groups).numpy()
    np.testing.assert_allclose(exe(x=x)[0], np.maximum((ref - m) * s + bias, 0), rtol=1e-4,
                               atol=1e-4)
    # Weights that are inputs (training, freeze=False) keep the multiply.
    b = cinn.NetBuilder("t")
    xv, wv, sv = b.input([2, 8, 9, 9], "float32", "x"), b.input(list(w.shape), "float32", "w"), \
        b.input([1, 12, 1, 1], "float32", "s")
    exe = cinn.compile(b.build([b.mul(b.conv2d(xv, wv, groups=groups), sv)]), cache=False)
    assert "mul" in ops_of(exe)


def test_horizontal_fusion(rng):
    x = rng.standard_normal((16, 32)).astype("float32")

    def build(b, x):
        return (b.exp(x), b.tanh(x), b.reduce(x, "sum", [1]), b.reduce(x, "max", [1]))
    exe = compile_one(build, {"x": [16, 32]})
    assert len(exe.fusion_groups) == 2, exe.fusion_groups
    e, t, s, m = exe(x=x)
    np.testing.assert_allclose(e, np.exp(x), rtol=1e-5)
    np.testing.assert_allclose(t, np.tanh(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s, x.sum(1), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(m, x.max(1))


def test_cheap_values_read_by_other_kernels_are_recomputed(rng):
    """exp(x) feeds a row sum and a column max (two reduction kernels): the second kernel
    computes exp(x) again instead of reading it from memory, so no kernel writes it. A value
    that feeds a matmul's operand is still written (the matmul reads it repeatedly)."""
    x = rng.standard_normal((32, 48)).astype("float32")
    w = rng.standard_normal((48, 16)).astype("float32")

    def build(b, x, w):
        e = b.exp(x)
        return (b.reduce(e, "sum", [1]), b.reduce(e, "max", [0]), b.matmul(b.tanh(x), w))
    exe = compile_one(build, {"x": [32, 48], "w": [48, 16]})
    groups = exe.fusion_groups
    written = [o for g in groups for o in g["outputs"]]
    exp_groups = [g for g in groups if "exp" in g["ops"]]
    assert len(exp_groups) == 2, groups
    assert not any(o in g2["inputs"] for g in exp_groups for g2 in groups for o in g["outputs"]
                   if g is not g2 and "reduce" in g2["ops"]), groups
    assert len(written) == len(set(written))
    tanh_group = next(g for g in groups if "tanh" in g["ops"])
    assert "matmul" not in tanh_group["ops"] and tanh_group["outputs"], groups
    s, m, y = exe(x=x, w=w)
    np.testing.assert_allclose(s, np.exp(x).sum(1), rtol=1e-5)
    np.testing.assert_allclose(m, np.exp(x).max(0), rtol=1e-6)
    np.testing.assert_allclose(y, np.tanh(x) @ w, rtol=1e-4, atol=1e-4)


def test_inplace_elementwise_memory(rng):
    """Unfused, a chain of 4 elementwise kernels needs one intermediate buffer: each kernel
    writes over the input it consumes last."""
    x = rng.uniform(0.5, 1.5, (1024,)).astype("float32")
    exe = compile_one(lambda b, x: b.sqrt(b.exp(b.tanh(b.log(b.exp(x))))), {"x": [1024]},
                      fusion=False)
    assert len(exe.fusion_groups) == 5
    assert exe.arena_bytes == 1024 * 4
    np.testing.assert_allclose(exe(x=x)[0], np.sqrt(np.exp(np.tanh(x))), rtol=1e-5)


def test_ir_dumps_of_graph_passes(tmp_path, monkeypatch):
    monkeypatch.setenv("CINN_DUMP_DIR", str(tmp_path))
    b = cinn.NetBuilder("dumped")
    x = b.input([4], "float32", "x")
    exe = cinn.compile(b.build([b.relu(x)]))
    assert exe.cache_status == "off"   # dumps come from compiling: no cache
    files = sorted(os.listdir(tmp_path / "graph_dumped"))
    assert files[0] == "00_input.txt" and files[1] == "01_decompose.txt", files
    assert "relu" in (tmp_path / "graph_dumped" / "00_input.txt").read_text()
    assert "relu" not in (tmp_path / "graph_dumped" / "01_decompose.txt").read_text()


# ---------------------------------------------------------------- the compile cache
CACHE_SCRIPT = textwrap.dedent("""
    import sys, numpy as np, cinn
    b = cinn.NetBuilder("cached")
    x = b.input([64, 48], "float32", "x")
    w = b.input([48, 32], "float32", "w")
    y = b.softmax(b.relu(b.matmul(x, w)))
    exe = cinn.compile(b.build([y]), cache_dir=sys.argv[1])
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((64, 48)).astype("float32")
    wv = rng.standard_normal((48, 32)).astype("float32")
    z = np.maximum(xv @ wv, 0)
    ref = np.exp(z - z.max(1, keepdims=True)); ref /= ref.sum(1, keepdims=True)
    np.testing.assert_allclose(exe(x=xv, w=wv)[0], ref, rtol=1e-4, atol=1e-6)
    print(exe.cache_status, len(exe.fusion_groups), exe.cache_path)
""")


def run_cache_script(cache_dir):
    out = subprocess.run([sys.executable, "-c", CACHE_SCRIPT, str(cache_dir)], capture_output=True,
                         text=True, env=os.environ.copy())
    assert out.returncode == 0, out.stderr
    status, groups, path = out.stdout.split()
    return status, int(groups), path, out.stderr


def test_compile_cache_across_processes(tmp_path):
    status, groups, path, _ = run_cache_script(tmp_path)
    assert status == "miss" and os.path.exists(path)
    status2, groups2, path2, _ = run_cache_script(tmp_path)
    assert (status2, groups2, path2) == ("hit", groups, path)


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage"])
def test_compile_cache_detects_corruption(tmp_path, damage):
    _, _, path, _ = run_cache_script(tmp_path)
    data = bytearray(open(path, "rb").read())
    if damage == "flip":
        data[len(data) // 2] ^= 0x5A
    elif damage == "truncate":
        data = data[: len(data) // 3]
    else:
        data = bytearray(b"not a cache entry")
    open(path, "wb").write(bytes(data))
    status, _, path2, err = run_cache_script(tmp_path)
    assert status == "rebuilt" and path2 == path and "invalid" in err
    assert run_cache_script(tmp_path)[0] == "hit"


def test_compile_cache_key_changes_with_program_and_options(tmp_path):
    def build(value):
        b = cinn.NetBuilder("k")
        x = b.input([8], "float32", "x")
        return b.build([b.add(x, b.fill_constant([8], value))])
    a = cinn.compile(build(1.5), cache_dir=str(tmp_path))
    assert cinn.compile(build(1.5), cache_dir=str(tmp_path)).cache_status == "hit"
    assert cinn.compile(build(2.5), cache_dir=str(tmp_path)).cache_status == "miss"
    assert cinn.compile(build(1.5), cache_dir=str(tmp_path), fusion=False).cache_status == "miss"
    assert cinn.compile(build(1.5), cache=False).cache_status == "off"
    x = np.arange(8, dtype="float32")
    np.testing.assert_array_equal(cinn.compile(build(2.5), cache_dir=str(tmp_path))(x=x)[0], x + 2.5)
    assert a.cache_path != ""
