"""The graph compiler's pipeline: fusion kernel counts, DCE, memory planning, Program
printing, and the clear errors of build and run time."""

import math
import re

import numpy as np
import pytest

import cinn


def kernels(exe):
    return [k["ops"] for k in exe.fusion_groups]


def test_elementwise_chain_is_one_kernel(rng):
    b = cinn.NetBuilder("chain")
    x = b.input([64, 100], "float32", "x")
    y = b.input([100], "float32", "y")
    z = b.tanh(b.mul(b.exp(b.sub(b.add(x, y), 1.0)), 0.5))
    z = b.max(z, b.neg(x))
    exe = cinn.compile(b.build(z))
    assert len(exe.fusion_groups) == 1, kernels(exe)
    xv = rng.standard_normal((64, 100)).astype("float32")
    yv = rng.standard_normal(100).astype("float32")
    (out,) = exe(x=xv, y=yv)
    np.testing.assert_allclose(out, np.maximum(np.tanh(np.exp(xv + yv - 1) * 0.5), -xv), rtol=1e-5, atol=1e-6)


def test_softmax_is_one_kernel(rng):
    b = cinn.NetBuilder("softmax")
    x = b.input([32, 257], "float32", "x")
    exe = cinn.compile(b.build(b.softmax(x)))
    assert len(exe.fusion_groups) <= 2, kernels(exe)
    xv = rng.standard_normal((32, 257)).astype("float32") * 3
    e = np.exp(xv - xv.max(1, keepdims=True))
    np.testing.assert_allclose(exe(x=xv)[0], e / e.sum(1, keepdims=True), rtol=1e-5, atol=1e-7)


def test_layer_norm_pattern_is_at_most_two_kernels(rng):
    # mean, centered, variance, normalize, scale and shift, from primitives.
    n = 96
    b = cinn.NetBuilder("ln")
    x = b.input([16, n], "float32", "x")
    g = b.input([n], "float32", "g")
    be = b.input([n], "float32", "b")
    mean = b.mul(b.reduce(x, "sum", [-1], True), 1.0 / n)
    xc = b.sub(x, mean)
    var = b.mul(b.reduce(b.mul(xc, xc), "sum", [-1], True), 1.0 / n)
    y = b.add(b.mul(b.mul(xc, b.rsqrt(b.add(var, 1e-5))), g), be)
    exe = cinn.compile(b.build(y))
    assert len(exe.fusion_groups) <= 2, kernels(exe)
    xv = rng.standard_normal((16, n)).astype("float32")
    gv = rng.standard_normal(n).astype("float32")
    bv = rng.standard_normal(n).astype("float32")
    mu = xv.mean(1, keepdims=True)
    ref = (xv - mu) / np.sqrt(xv.var(1, keepdims=True) + 1e-5) * gv + bv
    np.testing.assert_allclose(exe(x=xv, g=gv, b=bv)[0], ref, rtol=1e-4, atol=1e-4)


def test_matmul_bias_gelu_is_one_kernel(rng):
    b = cinn.NetBuilder("mlp")
    x = b.input([48, 64], "float32", "x")
    w = b.input([64, 80], "float32", "w")
    bias = b.input([80], "float32", "bias")
    h = b.add(b.matmul(x, w), bias)
    # gelu, erf form: 0.5 * h * (1 + erf(h / sqrt(2)))
    y = b.mul(b.mul(h, 0.5), b.add(b.erf(b.mul(h, 1 / math.sqrt(2))), 1.0))
    exe = cinn.compile(b.build(y))
    assert len(exe.fusion_groups) == 1, kernels(exe)
    xv = rng.standard_normal((48, 64)).astype("float32")
    wv = rng.standard_normal((64, 80)).astype("float32") / 8
    bv = rng.standard_normal(80).astype("float32")
    hv = xv @ wv + bv
    ref = 0.5 * hv * (1 + np.vectorize(math.erf)(hv / math.sqrt(2)))
    np.testing.assert_allclose(exe(x=xv, w=wv, bias=bv)[0], ref, rtol=1e-4, atol=1e-4)


def test_fusion_off_gives_one_kernel_per_primitive():
    b = cinn.NetBuilder("chain")
    x = b.input([8, 8], "float32", "x")
    exe = cinn.compile(b.build(b.exp(b.tanh(b.abs(x)))), fusion=False)
    assert kernels(exe) == [["abs"], ["tanh"], ["exp"]]


def test_dead_code_is_not_compiled(rng):
    b = cinn.NetBuilder("dce")
    x = b.input([8, 8], "float32", "x")
    b.exp(x)  # unused
    used = b.tanh(x)
    prog = b.build(used)
    assert "exp" not in str(prog)
    exe = cinn.compile(prog)
    assert kernels(exe) == [["tanh"]]


def test_memory_plan_reuses_intermediate_buffers(rng):
    b = cinn.NetBuilder("plan")
    x = b.input([256, 256], "float32", "x")
    v = x
    for op in ["exp", "tanh", "abs", "sqrt", "neg", "sin"]:
        v = getattr(b, op)(v)
    exe = cinn.compile(b.build(v), fusion=False)
    assert len(exe.fusion_groups) == 6
    one = 256 * 256 * 4
    # Five intermediates, at most two alive at once.
    assert exe._c.unplanned_temp_bytes == 5 * one
    assert exe.arena_bytes <= 2 * one
    xv = rng.uniform(0.1, 1, (256, 256)).astype("float32")
    np.testing.assert_allclose(exe(x=xv)[0], np.sin(-np.sqrt(np.abs(np.tanh(np.exp(xv))))), rtol=1e-5, atol=1e-6)


def test_outputs_that_are_inputs_or_repeated(rng):
    b = cinn.NetBuilder("outs")
    x = b.input([4, 4], "float32", "x")
    y = b.exp(x)
    exe = cinn.compile(b.build([y, x, y]))
    xv = rng.standard_normal((4, 4)).astype("float32")
    a, c, d = exe(x=xv)
    np.testing.assert_array_equal(c, xv)
    np.testing.assert_allclose(a, np.exp(xv), rtol=1e-6)
    np.testing.assert_array_equal(a, d)


def test_program_prints_composites_and_graphviz():
    b = cinn.NetBuilder("p")
    x = b.input([4, 8], "float32", "x")
    prog = b.build(b.softmax(b.relu(x)))
    text = str(prog)
    assert "softmax(" in text and "relu(" in text and "float32[4, 8]" in text
    exe = cinn.compile(prog)
    assert "reduce" in exe.primitive_graph and "softmax" not in exe.primitive_graph
    dot = exe.to_dot()
    assert dot.startswith("digraph") and exe.fusion_groups[0]["name"] in dot


def test_executable_positional_call_and_source(rng):
    b = cinn.NetBuilder("p")
    x = b.input([4], "float32", "x")
    y = b.input([4], "float32", "y")
    exe = cinn.compile(b.build(b.sub(x, y)))
    xv, yv = rng.standard_normal(4).astype("float32"), rng.standard_normal(4).astype("float32")
    np.testing.assert_array_equal(exe(xv, yv)[0], xv - yv)
    assert "define" in exe.source()


# ---- errors ---------------------------------------------------------------------------

def test_unknown_op():
    b = cinn.NetBuilder("e")
    x = b.input([4], "float32", "x")
    with pytest.raises(cinn.UnsupportedOpError, match="unknown op 'softmaxx'; did you mean: softmax"):
        b.call("softmaxx", [x])


def test_bad_attributes():
    b = cinn.NetBuilder("e")
    x = b.input([4, 5], "float32", "x")
    with pytest.raises(cinn.Error, match="op 'reduce': unknown attribute 'axes'"):
        b.call("reduce", [x], kind="sum", axes=[0])
    with pytest.raises(cinn.Error, match="op 'transpose': attribute 'perm' expects list\\[int\\]"):
        b.transpose(x, "01")
    with pytest.raises(cinn.Error, match="op 'reduce': attribute 'kind' must be sum, max, min or prod"):
        b.reduce(x, "mean")
    with pytest.raises(cinn.Error, match="op 'compare': missing required attribute 'op'"):
        b.call("compare", [x, x])


def test_shape_errors_at_build_time():
    b = cinn.NetBuilder("e")
    x = b.input([4, 5], "float32", "x")
    y = b.input([3, 5], "float32", "y")
    with pytest.raises(cinn.ShapeError, match="op 'add': shapes \\[4, 5\\] and \\[3, 5\\] do not broadcast"):
        b.add(x, y)
    with pytest.raises(cinn.ShapeError, match="op 'matmul': contracted dimensions differ"):
        b.matmul(x, y)
    with pytest.raises(cinn.ShapeError, match="op 'reshape': cannot reshape \\[4, 5\\]"):
        b.reshape(x, [3, 7])
    with pytest.raises(cinn.ShapeError, match="op 'reduce': axis 2 is out of range for rank 2"):
        b.reduce(x, "sum", [2])
    with pytest.raises(cinn.ShapeError, match="op 'transpose': perm has 3 entries for rank 2"):
        b.transpose(x, [0, 1, 2])


def test_dtype_errors_at_build_time():
    b = cinn.NetBuilder("e")
    x = b.input([4], "float32", "x")
    i = b.input([4], "int32", "i")
    with pytest.raises(cinn.DTypeError, match="op 'add': operands have different dtypes"):
        b.add(x, i)
    with pytest.raises(cinn.DTypeError, match="op 'exp': expects a floating-point input, got int32"):
        b.exp(i)
    with pytest.raises(cinn.DTypeError, match="op 'logical_not': expects bools"):
        b.logical_not(x)


def test_run_time_errors(rng):
    b = cinn.NetBuilder("e")
    x = b.input([4, 5], "float32", "x")
    exe = cinn.compile(b.build(b.exp(x)))
    with pytest.raises(cinn.ExecutionError, match="unknown input 'y'; the program's inputs are: x"):
        exe(y=np.zeros((4, 5), "float32"))
    with pytest.raises(cinn.ExecutionError, match="missing input 'x'"):
        exe()
    with pytest.raises(cinn.ShapeError, match="input 'x' must have shape \\[4, 5\\], got \\[5, 4\\]"):
        exe(x=np.zeros((5, 4), "float32"))
    with pytest.raises(cinn.DTypeError, match="input 'x' must have dtype float32, got float64"):
        exe(x=np.zeros((4, 5)))
    with pytest.raises(cinn.ExecutionError, match="input 'x' must be a numpy array"):
        exe(x=[1, 2])


def test_duplicate_and_unnamed_inputs():
    b = cinn.NetBuilder("e")
    b.input([4], "float32", "x")
    with pytest.raises(cinn.Error, match="input 'x' already exists"):
        b.input([4], "float32", "x")
    with pytest.raises(cinn.Error, match="needs a name"):
        b.input([4], "float32")
    with pytest.raises(cinn.ShapeError, match="dimensions must be positive"):
        b.input([0, 3], "float32", "z")


def test_values_of_another_builder_are_refused():
    b1, b2 = cinn.NetBuilder("a"), cinn.NetBuilder("b")
    x = b1.input([4], "float32", "x")
    with pytest.raises(cinn.Error, match="belongs to another NetBuilder"):
        b2.exp(x)


def test_concurrent_runs_give_the_same_results(rng):
    """Executable.run keeps no state between calls (documented thread safety)."""
    import threading
    b = cinn.NetBuilder("c")
    x = b.input([128, 256], "float32", "x")
    exe = cinn.compile(b.build(b.softmax(b.exp(b.abs(x)))))
    xs = [rng.random((128, 256), dtype="float32") for _ in range(4)]
    refs = [exe(x=v)[0] for v in xs]
    bad = []

    def work(k):
        for _ in range(20):
            if not np.array_equal(exe(x=xs[k])[0], refs[k]):
                bad.append(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not bad


def test_input_names_that_are_not_identifiers(rng):
    """Names are the user's ("x.in-1"), or clash with generated ones ("v3")."""
    b = cinn.NetBuilder("names")
    x = b.input([4, 8], "float32", "x.in-1")
    y = b.input([4, 8], "float32", "v3")
    exe = cinn.compile(b.build([b.softmax(b.add(x, y))]))
    xv, yv = rng.random((4, 8), dtype="float32"), rng.random((4, 8), dtype="float32")
    z = xv + yv
    e = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(exe(xv, yv)[0], e / e.sum(1, keepdims=True), rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------------------
# Default x86 reduction strategies (checked through the scheduled loop IR)

def test_rows_of_56_take_14_lane_vectors_with_masked_moves(rng):
    """A nest whose innermost extent is not a multiple of the vector and cannot fuse with
    the loop around it (a transpose of the last two axes) takes the widest divisor above
    half a vector (56: 14 lanes, one masked access each) on AVX-512 hosts, rather than 8
    lanes; elsewhere the widest power of two that divides it."""
    b = cinn.NetBuilder("t")
    x = b.input([2, 3, 56, 56], "float32", "x")
    exe = cinn.compile(b.build([b.relu(b.transpose(x, [0, 1, 3, 2]))]), cache=False)
    width = 14 if "avx512f" in cinn.Target.x86().features else 8
    assert re.search(rf"vectorized for \(\w+, 0, {width}\)", exe.loop_ir), exe.loop_ir
    xv = rng.standard_normal((2, 3, 56, 56)).astype("float32")
    np.testing.assert_array_equal(exe(x=xv)[0], np.maximum(xv.transpose(0, 1, 3, 2), 0))


def _reduce_exe(shape, axes, keepdim=False):
    b = cinn.NetBuilder("red")
    x = b.input(list(shape), "float32", "x")
    return cinn.compile(b.build(b.sum(x, axes, keepdim)), cache=False)


@pytest.mark.parametrize("shape", [(64, 256), (37, 96), (300, 40)])
def test_column_reduction_accumulates_output_vectors(rng, shape):
    # A sum over axis 0: the reduction loop runs inside the parallel tile of outputs and
    # outside the vector of outputs (no strided gathers, no partial-sum buffer).
    exe = _reduce_exe(shape, [0])
    ir = exe.loop_ir
    assert "_rf" not in ir, ir
    lines = [line.strip() for line in ir.splitlines()]
    r = next(i for i, line in enumerate(lines) if line.startswith("for (r0"))
    # Nests of fewer than 16384 iterations run on one thread (a parallel loop's start-up
    # costs more than they take).
    parallel = any(line.startswith("parallel for") for line in lines[:r])
    assert parallel == (np.prod(shape) >= 16384), ir
    assert any(line.startswith("vectorized for") for line in lines[r:]), ir
    xv = rng.standard_normal(shape).astype("float32")
    np.testing.assert_allclose(exe(x=xv)[0], xv.sum(0), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("shape,axes", [((64, 1024), [1]), ((50, 49), [1]), ((4, 6, 56, 56), [0, 2, 3]),
                                        ((3, 5, 7), [2])])
def test_row_reduction_is_one_parallel_nest(rng, shape, axes):
    # Vector partial sums and their final sum over the lanes in the same parallel
    # iteration; the (h, w) rows of 56 fuse into one contiguous reduction loop.
    exe = _reduce_exe(shape, axes)
    ir = exe.loop_ir
    assert ir.count("parallel for") == (1 if np.prod(shape) >= 16384 else 0), ir
    if shape[-1] >= 16:
        assert "vectorized for" in ir, ir
    if shape == (4, 6, 56, 56):
        assert "r2_r3_fused" in ir, ir
    xv = rng.standard_normal(shape).astype("float32")
    np.testing.assert_allclose(exe(x=xv)[0], xv.sum(tuple(axes)), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("m,k,n,transpose_y", [(1, 300, 70, True), (3, 64, 1000, True), (1, 129, 40, False),
                                               (5, 32, 48, False)])
def test_small_m_matmul_is_a_vectorized_reduction(rng, m, k, n, transpose_y):
    # Fewer rows than a register tile (a linear layer at batch 1): no packed copy of the
    # weights; x @ W^T becomes vectorized dot products along k, x @ W vectors of outputs
    # along n accumulated over k.
    b = cinn.NetBuilder("gemv")
    x = b.input([m, k], "float32", "x")
    w = b.input([n, k] if transpose_y else [k, n], "float32", "w")
    exe = cinn.compile(b.build(b.matmul(x, w, transpose_y=transpose_y)), cache=False)
    ir = exe.loop_ir
    assert "_pack" not in ir, ir
    assert "vectorized for" in ir, ir
    assert ("parallel for" in ir) == (m * k * n >= 16384), ir
    xv = rng.standard_normal((m, k)).astype("float32")
    wv = rng.standard_normal((n, k) if transpose_y else (k, n)).astype("float32")
    ref = xv.astype("float64") @ (wv.T if transpose_y else wv).astype("float64")
    np.testing.assert_allclose(exe(x=xv, w=wv)[0], ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("batch,m,k,n,per_panel", [((), 64, 256, 512, True), ((), 128, 768, 384, True),
                                                    ((4,), 32, 48, 64, True), ((), 40, 96, 200, False),
                                                    ((), 128, 768, 96, False), ((4,), 32, 256, 128, False)])
def test_transposed_weights_are_packed_per_column_panel(rng, batch, m, k, n, per_panel):
    # x @ W^T with rows enough for register tiles packs W transposed. Where the matmul's
    # parallel loop runs over whole column panels, each panel is packed inside it, into a
    # panel-major buffer [.., n / nr, k, nr] (nr: the tile width), while its rows are in
    # that thread's cache. A column tail (200 columns), or too few panels to share among
    # threads (96 columns: the row tiles are parallel), keeps one [k, n] pack, in a
    # parallel nest of its own before the matmul; so does a weight shared by the batch
    # (x[4, 32, 256] @ W[128, 256]^T), which each batch's panel loop would pack again.
    shared = batch and not per_panel
    wbatch = () if shared else batch
    b = cinn.NetBuilder("linear")
    x = b.input([*batch, m, k], "float32", "x")
    w = b.input([*wbatch, n, k], "float32", "w")
    bias = b.input([n], "float32", "bias")
    exe = cinn.compile(b.build(b.relu(b.add(b.matmul(x, w, transpose_y=True), bias))), cache=False)
    ir = exe.loop_ir
    (dims,) = re.findall(r"allocate \w+_pack: float32\[([\d, ]+)\]", ir)
    dims = [int(d) for d in dims.split(",")]
    lines = ir.splitlines()
    parallel = [i for i, line in enumerate(lines) if "parallel for" in line] + [len(lines)]
    pack = next(i for i, line in enumerate(lines) if "block " in line and "_pack(" in line)
    product = next(i for i, line in enumerate(lines) if "block " in line and ":reduce" in line)
    assert parallel[0] < pack < parallel[1], ir
    # The product is in the pack's parallel loop, or in the next one.
    assert (product < parallel[1]) == per_panel, ir
    if per_panel:
        assert len(dims) == len(batch) + 3 and dims[-3] * dims[-1] == n and dims[-2] == k, ir
    else:
        assert dims == [k, n], ir
    xv = rng.standard_normal((*batch, m, k)).astype("float32")
    wv = rng.standard_normal((*wbatch, n, k)).astype("float32")
    bv = rng.standard_normal(n).astype("float32")
    ref = np.maximum(xv.astype("float64") @ np.swapaxes(wv, -1, -2).astype("float64") + bv, 0)
    np.testing.assert_allclose(exe(x=xv, w=wv, bias=bv)[0], ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("m,k,n", [(64, 96, 49), (40, 64, 81), (24, 32, 113)])
def test_matmul_column_tails_are_power_of_two_vectors(rng, m, k, n):
    # A register tile of 32 columns over 49 leaves a tail of 17: the loop partition gives
    # it its own vector loop, emitted as 16 lanes + 1 rather than an odd <17 x float>
    # that LLVM legalizes element by element.
    b = cinn.NetBuilder("tail")
    x = b.input([m, k], "float32", "x")
    w = b.input([k, n], "float32", "w")
    exe = cinn.compile(b.build(b.matmul(x, w)), cache=False)
    widths = {int(v) for v in re.findall(r"<(\d+) x float>", exe.source())}
    assert widths and all(v & (v - 1) == 0 or v <= 16 for v in widths), widths
    xv = rng.standard_normal((m, k)).astype("float32")
    wv = rng.standard_normal((k, n)).astype("float32")
    ref = xv.astype("float64") @ wv.astype("float64")
    np.testing.assert_allclose(exe(x=xv, w=wv)[0], ref, rtol=1e-4, atol=1e-4)


def test_profile_times_every_launch(rng):
    b = cinn.NetBuilder("prof")
    x = b.input([64, 128], "float32", "x")
    w = b.input([128, 32], "float32", "w")
    y = b.softmax(b.relu(b.matmul(x, w)))
    exe = cinn.compile(b.build(y))
    xv = rng.standard_normal((64, 128)).astype("float32")
    wv = rng.standard_normal((128, 32)).astype("float32")
    prof = exe.profile(xv, wv, repeat=3)
    assert [p["kernel"] for p in prof] == [g["name"] for g in exe.fusion_groups]
    assert all(p["ms"] > 0 and p["ops"] for p in prof), prof
    assert abs(sum(p["share"] for p in prof) - 1.0) < 1e-9
    assert any("matmul" in p["ops"] for p in prof)
    with pytest.raises(cinn.ExecutionError, match="expected 2 inputs"):
        exe.profile(xv)
    with pytest.raises(cinn.ExecutionError, match="repeat must be at least 1"):
        exe.profile(xv, wv, repeat=0)


@pytest.mark.parametrize("shape,bias_shape,fused", [((4, 8, 28, 28), (1, 8, 1, 1), True),
                                                    ((2, 3, 2, 4, 2), (1, 3, 1, 1, 1), True),
                                                    ((4, 8, 28, 28), (28,), False)])
def test_short_rows_fuse_into_full_vectors(rng, shape, bias_shape, fused):
    # Rows of 28 would give 4-lane vectors: the trailing loops fuse into one contiguous loop
    # (28 x 28 = 49 x 16) when every access reads them as one run; a bias along the last
    # axis alone does not, and the rows stay as they are.
    b = cinn.NetBuilder("rows")
    x = b.input(list(shape), "float32", "x")
    c = b.input(list(bias_shape), "float32", "c")
    exe = cinn.compile(b.build(b.relu(b.mul(b.add(x, c), 0.5))), cache=False)
    ir = exe.loop_ir
    vec = [line.strip() for line in ir.splitlines() if line.strip().startswith("vectorized for")]
    assert vec and all(v.endswith(", 0, 16) {") for v in vec) == fused, ir
    xv = rng.standard_normal(shape).astype("float32")
    cv = rng.standard_normal(bias_shape).astype("float32")
    np.testing.assert_allclose(exe(x=xv, c=cv)[0], np.maximum((xv + cv) * 0.5, 0), rtol=1e-6, atol=1e-6)


def _final_ir(exe_dir):
    """The last pass's IR of the only kernel dumped under exe_dir."""
    (kernel,) = [d for d in exe_dir.iterdir() if d.name.startswith("fn")]
    return sorted(kernel.glob("*.txt"))[-1].read_text()


@pytest.mark.parametrize("shape,bias_shape", [((1000, 29), (1000, 29)), ((4, 8, 29, 29), (29,))])
def test_rows_with_a_partial_last_vector_stay_vectorized(rng, tmp_path, shape, bias_shape):
    """A row that no vector width divides (29) is full vectors and a narrower last one,
    peeled off by loop partitioning, not a guarded and so scalar loop: nests read as one
    run fuse into one loop with a single partial vector at its end; a bias along the rows
    keeps them, with the loop over a row's vectors serial inside the parallel loop."""
    b = cinn.NetBuilder("rows")
    x = b.input(list(shape), "float32", "x")
    c = b.input(list(bias_shape), "float32", "c")
    exe = cinn.compile(b.build(b.relu(b.add(x, c))), cache=False, dump_dir=tmp_path)
    final = _final_ir(tmp_path)
    assert "if (" not in final and "for (" not in final.split("parallel for", 1)[1], final
    run = shape[-1] if len(bias_shape) == 1 else int(np.prod(shape))
    widths = {int(w) for w in re.findall(r", 1, (\d+)\)", final)}
    assert len(widths) == 2 and run % max(widths) == min(widths), final
    xv = rng.standard_normal(shape).astype("float32")
    cv = rng.standard_normal(bias_shape).astype("float32")
    np.testing.assert_array_equal(exe(x=xv, c=cv)[0], np.maximum(xv + cv, 0))


def test_executable_takes_dlpack_tensors(rng):
    # Host tensors of other libraries (torch CPU tensors here) come in through DLPack as
    # numpy views of their memory; tensors DLPack cannot hand over are a clear error.
    torch = pytest.importorskip("torch")
    b = cinn.NetBuilder("dl")
    x = b.input([4, 8], "float32", "x")
    y = b.input([8], "float32", "y")
    exe = cinn.compile(b.build([b.relu(b.add(x, y))]), cache=False)
    t, u = torch.randn(4, 8), torch.randn(8)
    ref = torch.relu(t + u).numpy()
    np.testing.assert_allclose(exe(t, u)[0], ref, rtol=1e-6)
    np.testing.assert_allclose(exe(x=t, y=u.numpy())[0], ref, rtol=1e-6)
    tt = torch.randn(8, 4).T  # a strided view
    np.testing.assert_allclose(exe(tt, u)[0], torch.relu(tt + u).numpy(), rtol=1e-6)
    assert len(exe.profile(t, u, repeat=1)) == 1
    with pytest.raises(cinn.ExecutionError, match="input 'x'.*require"):
        exe(torch.randn(4, 8, requires_grad=True), u)
    with pytest.raises(cinn.ExecutionError, match="input 'y'.*DLPack"):
        exe(t, torch.empty(8, device="meta"))
    with pytest.raises(cinn.DTypeError, match="input 'x'"):
        exe(t.double(), u)


def test_bfloat16_inputs_and_outputs_go_through_dlpack():
    """numpy has no bfloat16: torch.bfloat16 CPU tensors come in through DLPack (no copy) and
    bfloat16 outputs come back as host DeviceArrays, which torch.from_dlpack wraps and
    numpy() widens to float32. Products and sums round once, as PyTorch's do: bit for bit."""
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(7)
    b = cinn.NetBuilder("bf16")
    x = b.input([64, 48], "bfloat16", "x")
    y = b.input([48], "bfloat16", "y")
    f = b.input([64, 48], "float32", "f")
    exe = cinn.compile(b.build([b.add(b.mul(x, y), x), b.cast(x, "float32"), b.cast(f, "bfloat16")]),
                       cache=False)
    t, u = torch.randn(64, 48, generator=g).bfloat16(), torch.randn(48, generator=g).bfloat16()
    fv = torch.randn(64, 48, generator=g)
    out, widened, narrowed = exe(t, u, fv)
    assert isinstance(out, cinn.DeviceArray) and isinstance(widened, np.ndarray)
    assert (out.dtype, out.shape, out.device) == ("bfloat16", (64, 48), "cpu")
    assert repr(out) == "DeviceArray(bfloat16[64, 48], cpu)"
    assert torch.equal(torch.from_dlpack(out), t * u + t)
    assert torch.equal(torch.from_dlpack(narrowed), fv.bfloat16())  # round to nearest even
    np.testing.assert_array_equal(widened, t.float().numpy())
    np.testing.assert_array_equal(out.numpy(), (t * u + t).float().numpy())
    assert out.numpy().dtype == np.float32
    # A result fed back in (DLPack), by name; the training-step form writes given outputs.
    again = exe(x=out, y=u, f=fv)[0]
    assert torch.equal(torch.from_dlpack(again), (t * u + t) * u + (t * u + t))
    dst = torch.empty(64, 48, dtype=torch.bfloat16)
    res = exe._c.run([t, u, fv.numpy()], [dst, None, None])
    assert res[0] is dst and torch.equal(dst, t * u + t)
    with pytest.raises(cinn.DTypeError, match="input 'x' must have dtype bfloat16, got a float32 numpy array"):
        exe(t.float().numpy(), u, fv)
    with pytest.raises(cinn.DTypeError, match="input 'x' must have dtype bfloat16, got a float16 numpy array"):
        exe(torch.zeros(64, 48, dtype=torch.float16), u, fv)
    with pytest.raises(cinn.DTypeError, match="input 'f' must have dtype float32, got torch.bfloat16"):
        exe(t, u, t)
    with pytest.raises(cinn.ExecutionError, match="input 'x': cannot read .* require"):
        exe(t.clone().requires_grad_(), u, fv)
    with pytest.raises(cinn.ExecutionError, match="input 'x' must be C-contiguous"):
        exe(torch.zeros(48, 64, dtype=torch.bfloat16).T, u, fv)
    with pytest.raises(cinn.ShapeError, match=r"input 'y' must have shape \[48\], got \[47\]"):
        exe(t, u[:47], fv)


def test_changing_the_thread_count_between_runs(rng):
    """set_num_threads restarts the pool's workers; a worker started then must wait for the
    next parallel loop, not run the last one again (its closure is gone: it crashed)."""
    b = cinn.NetBuilder("threads")
    x = b.input([4, 16, 20, 20], "float32", "x")
    w = b.input([16, 16, 3, 3], "float32", "w")
    exe = cinn.compile(b.build([b.relu(b.conv2d(x, w, padding=[1, 1]))]), cache=False)
    xv = rng.standard_normal((4, 16, 20, 20)).astype("float32")
    wv = rng.standard_normal((16, 16, 3, 3)).astype("float32")
    (want,) = exe(x=xv, w=wv)
    before = cinn.num_threads()
    try:
        for n in (3, 1, 4, 2):
            cinn.set_num_threads(n)
            assert cinn.num_threads() == n
            for _ in range(3):
                np.testing.assert_array_equal(exe(x=xv, w=wv)[0], want)
    finally:
        cinn.set_num_threads(before)


def test_kernels_equal_up_to_names_are_compiled_once(rng, tmp_path):
    # Without fusion every op is a kernel: the three multiplications are one function
    # (launched three times on their own buffers); the constants 2 and 3 are two.
    b = cinn.NetBuilder("repeated")
    x = b.input([32, 48], "float32", "x")
    y = b.mul(b.mul(b.mul(x, 2.0), 3.0), 2.0)
    exe = cinn.compile(b.build(y), fusion=False)
    groups = exe.fusion_groups
    ops = [g["ops"] for g in groups]
    assert ops == [["fill_constant"], ["mul"], ["fill_constant"], ["mul"], ["mul"]], ops
    functions = [g["function"] for g in groups]
    names = [g["name"] for g in groups]
    assert functions == [names[0], names[1], names[2], names[1], names[1]], functions
    assert exe.source().count("define void @" + names[1] + "(") == 1
    assert "define void @" + names[3] not in exe.source()
    xv = rng.standard_normal((32, 48)).astype("float32")
    np.testing.assert_allclose(exe(xv)[0], xv * 12, rtol=1e-6)
    # Profiles and saved artifacts name every launch by its own kernel.
    assert [p["kernel"] for p in exe.profile(xv, repeat=1)] == names
    exe.save(tmp_path / "a")
    np.testing.assert_allclose(cinn.load(tmp_path / "a")(xv)[0], xv * 12, rtol=1e-6)
