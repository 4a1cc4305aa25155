"""The CUDA backend through cinn.compile: generated kernels, their launch phases and the
error raised when no device is visible. Runs on CPU-only machines (NVRTC compiles; nothing
is launched unless a device is visible, in which case results are compared)."""

import numpy as np
import pytest

import cinn

NVRTC, NVRTC_WHY = cinn.nvrtc_available()
DEVICE, DEVICE_WHY = cinn.cuda_device_available()
needs_nvrtc = pytest.mark.skipif(not NVRTC, reason=f"no NVRTC: {NVRTC_WHY}")


def test_cuda_target_names_its_backend():
    t = cinn.Target.cuda()
    assert t.arch == "cuda" and t.backend == "cuda"
    assert cinn.Target.x86().backend == "x86"


def test_unknown_backend_is_a_compile_error():
    b = cinn.NetBuilder("t")
    x = b.input([4], "float32", "x")
    t = cinn.Target.x86()
    t.backend = "no_such_backend"
    with pytest.raises(cinn.CompileError, match="no backend named 'no_such_backend'.*registered: cuda, cuda_emulator, x86"):
        cinn.compile(b.build(b.exp(x)), target=t)


def _softmax():
    b = cinn.NetBuilder("softmax")
    x = b.input([64, 1000], "float32", "x")
    return b.build(b.softmax(x))


@needs_nvrtc
def test_softmax_is_one_kernel_bound_to_blocks_and_threads():
    exe = cinn.compile(_softmax(), target=cinn.Target.cuda())
    src = exe.source()
    assert src.count("extern \"C\" __global__") == 1
    # A thread block per row; the row's max and sum are block reductions (warp shuffles).
    assert "launch: grid (64, 1, 1), block (256, 1, 1)" in src
    assert "= cinn_block_reduce_max_f32(" in src and "= cinn_block_reduce_add_f32(" in src


@needs_nvrtc
def test_full_reduction_runs_in_two_phases():
    b = cinn.NetBuilder("sum")
    x = b.input([1 << 16], "float32", "x")
    exe = cinn.compile(b.build(b.sum(x, [0])), target=cinn.Target.cuda())
    src = exe.source()
    # Partial sums over many threads, then one thread sums the partials; the phases are
    # separate kernels because the second reads what every block of the first wrote.
    assert "_part0" in src and "_part1" in src
    assert "__launch_bounds__(256)" in src


@needs_nvrtc
def test_running_without_a_device_is_a_clear_error_or_matches_numpy():
    exe = cinn.compile(_softmax(), target=cinn.Target.cuda())
    x = np.random.default_rng(0).standard_normal((64, 1000)).astype("float32")
    if not DEVICE:
        with pytest.raises(cinn.ExecutionError, match="no CUDA device"):
            exe(x=x)
        return
    (out,) = exe(x=x)
    e = np.exp(x - x.max(1, keepdims=True))
    np.testing.assert_allclose(out, e / e.sum(1, keepdims=True), rtol=1e-5, atol=1e-6)


def _emulated(prog, **params):
    t = cinn.Target.cuda()
    t.backend = "cuda_emulator"
    return cinn.compile(prog, target=t, schedule_params=params)


def _matmul_program(xs, ys, tx=False, ty=False, epilogue=False):
    b = cinn.NetBuilder("mm")
    x = b.input(list(xs), "float32", "x")
    y = b.input(list(ys), "float32", "y")
    out = b.matmul(x, y, transpose_x=tx, transpose_y=ty)
    if epilogue:
        bias = b.input([out.shape[-1]], "float32", "bias")
        out = b.relu(b.add(out, bias))
    return b.build(out)


@needs_nvrtc
@pytest.mark.parametrize("xs,ys,tx,ty,epilogue", [
    ((64, 48), (48, 32), False, False, False),
    ((48, 64), (48, 32), True, False, True),      # lhs stored [K, M]
    ((64, 40), (32, 40), False, True, True),      # rhs stored [N, K]: a linear layer
    ((3, 32, 24), (3, 24, 48), False, False, False),  # batched: blockIdx.z
    ((32, 7), (7, 16), False, False, False),      # K = 7: steps of one
])
def test_matmul_tiles_in_shared_memory_and_registers(rng, xs, ys, tx, ty, epilogue):
    """The CUDA matmul schedule (shared-memory operand tiles, a register tile per thread,
    barriers around each reduction step) computes the product on the emulator."""
    prog = _matmul_program(xs, ys, tx, ty, epilogue)
    src = cinn.compile(prog, target=cinn.Target.cuda()).source()
    assert src.count("__shared__ __align__(16) float") == 2 and src.count("__syncthreads();") == 2, src
    assert "_local[" in src
    x = rng.standard_normal(xs).astype("float32")
    y = rng.standard_normal(ys).astype("float32")
    args = dict(x=x, y=y)
    want = np.matmul(np.swapaxes(x, -1, -2) if tx else x, np.swapaxes(y, -1, -2) if ty else y)
    if epilogue:
        args["bias"] = rng.standard_normal(want.shape[-1]).astype("float32")
        want = np.maximum(want + args["bias"], 0)
        # The epilogue is inlined into the register tile's write-back: one kernel, one store.
        assert src.count("extern \"C\" __global__") == 1
    (got,) = _emulated(prog)(**args)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@needs_nvrtc
@pytest.mark.parametrize("tm,tn,bk", [(1, 1, 4), (2, 4, 8), (4, 2, 16), (8, 8, 8)])
def test_matmul_tile_parameters(rng, tm, tn, bk):
    prog = _matmul_program((128, 64), (64, 128))
    params = dict(matmul_tm=tm, matmul_tn=tn, matmul_bk=bk)
    src = cinn.compile(prog, target=cinn.Target.cuda(), schedule_params=params).source()
    assert f"grid ({128 // (16 * tn)}, {128 // (16 * tm)}, 1), block (256, 1, 1)" in src, src
    assert f"__shared__ __align__(16) float x_shared[{16 * tm * bk}];" in src, src
    assert f"_local[{tm * tn}];" in src, src
    x = rng.standard_normal((128, 64)).astype("float32")
    y = rng.standard_normal((64, 128)).astype("float32")
    (got,) = _emulated(prog, **params)(x=x, y=y)
    np.testing.assert_allclose(got, x @ y, rtol=1e-4, atol=1e-4)


def test_schedule_params_are_checked():
    knobs = {k["name"]: k for k in cinn.tuning_knobs(cinn.Target.cuda())}
    assert {"threads", "matmul_tm", "matmul_tn", "matmul_bk"} <= set(knobs)
    assert knobs["matmul_tm"]["kernels"] == ["out_fusible"]
    assert "matmul_mr" in {k["name"] for k in cinn.tuning_knobs()}
    prog = _matmul_program((32, 32), (32, 32))
    with pytest.raises(cinn.ScheduleError, match="backend 'x86' has no schedule parameter 'matmul_tm'.*matmul_mr"):
        cinn.compile(prog, schedule_params={"matmul_tm": 4})
    with pytest.raises(cinn.ScheduleError, match="'matmul_tm' must be at least 1, got 0"):
        cinn.compile(prog, target=cinn.Target.cuda(), schedule_params={"matmul_tm": 0})


@needs_nvrtc
@pytest.mark.parametrize("n,c,h,w,f,params", [
    (2, 16, 8, 8, 32, {}),
    (2, 12, 8, 14, 16, {}),                   # 7 columns per thread, 12 channels: steps of 4
    (2, 8, 6, 8, 32, {"conv_tf": 1, "conv_tp": 2}),
])
def test_conv2d_tiles_weights_in_shared_memory(rng, n, c, h, w, f, params):
    """The CUDA convolution schedule (a register tile of channels x columns per thread,
    weight tiles in shared memory, the padded input as its own kernel) on the emulator."""
    import torch
    b = cinn.NetBuilder("conv")
    x = b.input([n, c, h, w], "float32", "x")
    wt = b.input([f, c, 3, 3], "float32", "w")
    prog = b.build(b.relu(b.conv2d(x, wt, stride=[1, 1], padding=[1, 1])))
    src = cinn.compile(prog, target=cinn.Target.cuda(), schedule_params=params).source()
    # A barrier after each weight tile; one more before the next step's tile when c > 8.
    assert "__shared__ __align__(16) float w_shared" in src and src.count("__syncthreads();") == (2 if c > 8 else 1), src
    xs = rng.standard_normal((n, c, h, w)).astype("float32")
    ws = rng.standard_normal((f, c, 3, 3)).astype("float32")
    want = torch.relu(torch.nn.functional.conv2d(torch.from_numpy(xs), torch.from_numpy(ws), padding=1)).numpy()
    (got,) = _emulated(prog, **params)(x=xs, w=ws)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@needs_nvrtc
def test_column_sum_runs_in_two_stages(rng):
    b = cinn.NetBuilder("colsum")
    x = b.input([4096, 64], "float32", "x")
    prog = b.build(b.sum(x, [0]))
    src = cinn.compile(prog, target=cinn.Target.cuda()).source()
    # sums of blocks of rows (the reduce op's first stage, 4096 threads), then their sum
    # (and its float32 cast): the partial sums are a kernel of their own, not computed per
    # output column by its thread (their leading axis, the blocks, is what the sum reduces)
    assert src.count("extern \"C\" __global__") == 3, src
    assert "blockIdx.x for (i_j_fused_0, 0, 16)" in cinn.compile(prog, target=cinn.Target.cuda()).loop_ir
    xs = rng.standard_normal((4096, 64)).astype("float32")
    (got,) = _emulated(prog)(x=xs)
    np.testing.assert_allclose(got, xs.astype("float64").sum(0), rtol=1e-4, atol=1e-3)


def _elementwise_program(shape, dtype, body, second_shape=None):
    b = cinn.NetBuilder("ew")
    x = b.input(list(shape), dtype, "x")
    y = b.input(list(second_shape or shape), dtype, "y")
    return b.build(body(b, x, y))


def _random(rng, shape, dtype):
    if dtype.startswith("int"):
        return rng.integers(-50, 50, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


@needs_nvrtc
@pytest.mark.parametrize("shape,second,dtype,lanes,vector_inputs", [
    ((1024, 1024), None, "float32", 4, 2),
    ((1024, 1024), (1024,), "float32", 4, 2),     # y broadcast along rows: copied too
    ((1000, 1028), None, "float32", 4, 2),        # 257000 vectors: the last block is guarded
    ((1024, 1024), None, "float64", 2, 2),
    ((2048, 1024), None, "int8", 16, 2),
    ((1024, 1024), (1024, 1), "float32", 4, 1),   # y one value per row: a scalar load
])
def test_elementwise_moves_16_bytes_per_thread(rng, shape, second, dtype, lanes, vector_inputs):
    """Large elementwise kernels: each thread computes 16 bytes of consecutive outputs, its
    inputs along the row and its output moved as single uint4 loads and stores."""
    prog = _elementwise_program(shape, dtype, lambda b, x, y: b.add(b.mul(x, y), x), second)
    src = cinn.compile(prog, target=cinn.Target.cuda()).source()
    assert src.count("reinterpret_cast<uint4*>") == vector_inputs + 1, src
    assert src.count(f"  // {lanes} elements") == vector_inputs + 1, src
    assert "__align__(16)" in src
    x = _random(rng, shape, dtype)
    y = _random(rng, second or shape, dtype)
    (got,) = _emulated(prog)(x=x, y=y)
    want = x * y + x
    if dtype.startswith("int"):
        np.testing.assert_array_equal(got, want)
    else:
        tol = 1e-2 if dtype == "float16" else 1e-5
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@needs_nvrtc
def test_elementwise_vectors_where_rows_allow(rng):
    """Where 16 bytes do not divide the rows, an input is read across rows (a transpose) or
    the kernel is small, threads keep one element each; `vector_bytes` narrows the moves."""
    def sources(prog, **params):
        return cinn.compile(prog, target=cinn.Target.cuda(), schedule_params=params).source()

    add = lambda b, x, y: b.add(x, y)
    assert "reinterpret_cast" not in sources(_elementwise_program((1024, 1030), "float32", add))
    assert "reinterpret_cast" not in sources(_elementwise_program((64, 1024), "float32", add))
    assert "reinterpret_cast" not in sources(_elementwise_program((1024, 1024), "float32", add), vector_bytes=4)
    assert sources(_elementwise_program((1024, 1024), "float32", add), vector_bytes=8).count("reinterpret_cast<uint2*>") == 3
    # x + y^T: y is read down a column, so only x and the output move as vectors.
    prog = _elementwise_program((1024, 1024), "float32", lambda b, x, y: b.add(x, b.transpose(y, [1, 0])))
    assert sources(prog).count("reinterpret_cast<uint4*>") == 2
    x, y = _random(rng, (1024, 1024), "float32"), _random(rng, (1024, 1024), "float32")
    (got,) = _emulated(prog)(x=x, y=y)
    np.testing.assert_allclose(got, x + y.T, rtol=1e-6)
    # A comparison: bool outputs (1 byte) in runs of 16, float inputs (64 bytes) read singly.
    prog = _elementwise_program((1024, 1024), "float32", lambda b, x, y: b.greater(x, y))
    src = sources(prog)
    assert src.count("reinterpret_cast<uint4*>") == 1 and "  // 16 elements" in src, src
    (got,) = _emulated(prog)(x=x, y=y)
    np.testing.assert_array_equal(got, x > y)
    # 4-byte moves (uint1): float16 in pairs.
    prog = _elementwise_program((1024, 1024), "float16", add)
    src = sources(prog, vector_bytes=4)
    assert src.count("reinterpret_cast<uint1*>") == 3 and "  // 2 elements" in src, src
    xh, yh = x.astype("float16"), y.astype("float16")
    (got,) = _emulated(prog, vector_bytes=4)(x=xh, y=yh)
    np.testing.assert_array_equal(got, xh + yh)


@needs_nvrtc
def test_emulated_vector_moves_accept_host_arrays_at_any_address(rng):
    """The emulator checks every vector move's alignment as a GPU would; host arrays that
    start 4 bytes past an aligned address (views) are checked relative to their start, since
    a GPU gets aligned copies of them."""
    prog = _elementwise_program((1024, 1024), "float32", lambda b, x, y: b.add(b.mul(x, y), x))
    def view(a):  # the same values, starting 4 bytes past a 16-byte boundary
        v = np.empty(a.size + 4, a.dtype)
        start = (-v.ctypes.data // 4) % 4 + 1
        out = v[start:start + a.size].reshape(a.shape)
        out[...] = a
        assert out.ctypes.data % 16 == 4
        return out
    x, y = _random(rng, (1024, 1024), "float32"), _random(rng, (1024, 1024), "float32")
    exe = _emulated(prog)
    assert "reinterpret_cast<uint4*>" in exe.source()
    (got,) = exe(x=view(x), y=view(y))
    np.testing.assert_allclose(got, x * y + x, rtol=1e-6)


def _cast_program(shape, src, dst, through=None):
    b = cinn.NetBuilder("cast")
    x = b.input(list(shape), src, "x")
    y = b.cast(x, through) if through else x
    return b.build(b.cast(y, dst))


def _all_float_classes(rng, n):
    """float32 bit patterns: random ones (every class: nan, inf, subnormals), the float16
    boundaries (max, overflow, min normal, subnormal ties) and their neighbours."""
    bits = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
    edges = np.array([65504, 65519.996, 65520, 65536, 6.1035156e-05, 5.9604645e-08, 2.9802322e-08,
                      2.9802326e-08, 8.940697e-08, 1.0009766, 1.0004883, 1.0014648, 0.0, np.inf, np.nan],
                     dtype=np.float32)
    near = np.concatenate([edges.view(np.uint32) + d for d in (-1, 0, 1)]).astype(np.uint32)
    x = np.concatenate([bits, near]).view(np.float32)
    # Values in float16's range, where rounding happens, get most of the samples.
    return np.concatenate([x, (rng.standard_normal(n) * np.float32(2.0) ** rng.integers(-26, 17, n)).astype(np.float32),
                           -x])


@needs_nvrtc
def test_float16_conversions_round_to_nearest_even(rng):
    """float32 -> float16 -> float32 on the GPU schedule (the CUDA C's portable conversion,
    under the emulator) equals numpy's astype for every class of value; all 65536 float16
    values widen exactly. On a GPU the same code converts with cvt.rn.f16.f32."""
    x = _all_float_classes(rng, 1 << 16)
    prog = _cast_program(x.shape, "float32", "float32", through="float16")
    src = cinn.compile(prog, target=cinn.Target.cuda()).source()
    assert "cvt.rn.f16.f32" in src and "cinn_float_to_float16(" in src
    (got,) = _emulated(prog)(x=x)
    with np.errstate(over="ignore"):
        want = x.astype(np.float16).astype(np.float32)
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    h = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    (wide,) = _emulated(_cast_program(h.shape, "float16", "float32"))(x=h)
    np.testing.assert_array_equal(wide, h.astype(np.float32))


@needs_nvrtc
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_types_compute_like_the_host(rng, dtype):
    """float16 / bfloat16 kernels on the GPU schedule (computed in float, rounded to the type
    after every operation) give the host's (LLVM's) results bit for bit, overflow included."""
    b = cinn.NetBuilder("half")
    x = b.input([1024, 512], "float32", "x")
    y = b.input([1024, 512], "float32", "y")
    xh, yh = b.cast(x, dtype), b.cast(y, dtype)
    out = b.cast(b.add(b.sub(b.mul(xh, yh), b.div(xh, yh)), b.exp(b.relu(xh))), "float32")
    prog = b.build(out)
    src = cinn.compile(prog, target=cinn.Target.cuda()).source()
    assert f"cinn_round_{dtype}(" in src
    xs = (rng.standard_normal((1024, 512)) * 4).astype(np.float32)
    ys = (rng.standard_normal((1024, 512)) * 4).astype(np.float32)
    xs[0, :8] = [60000, 1e-7, -3e-8, 11.5, 70000, 0.0, -0.0, 100]
    (want,) = cinn.compile(prog)(x=xs, y=ys)
    (got,) = _emulated(prog)(x=xs, y=ys)
    np.testing.assert_array_equal(got, want)
    assert np.isinf(want).any()


@needs_nvrtc
def test_float16_inputs_and_outputs(rng):
    """float16 arrays in and out: 8 elements per 16-byte move, numerics as numpy's float16."""
    prog = _elementwise_program((512, 2048), "float16", lambda b, x, y: b.add(b.mul(x, y), x))
    src = cinn.compile(prog, target=cinn.Target.cuda()).source()
    assert src.count("reinterpret_cast<uint4*>") == 3 and "  // 8 elements" in src, src
    assert "const cinn_float16* __restrict__ x" in src
    x, y = _random(rng, (512, 2048), "float16"), _random(rng, (512, 2048), "float16")
    (got,) = _emulated(prog)(x=x, y=y)
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, x * y + x)


class _FakeCudaTensor:
    """A DLPack producer claiming CUDA device memory for a numpy buffer (on machines without
    a GPU): exercises the consumer's checks and its ownership protocol. `deleted` counts the
    managed tensors the consumer gave back through their deleter."""

    deleted = 0

    def __init__(self, array, dtype=(2, 32), strides=None, offset=0, device=(2, 0)):
        import ctypes
        self._ct = ctypes
        self.array, self.dtype, self.strides, self.offset, self.device = array, dtype, strides, offset, device

    def __dlpack_device__(self):
        return self.device

    def __dlpack__(self, stream=None):
        ct = self._ct

        class Tensor(ct.Structure):
            _fields_ = [("data", ct.c_void_p), ("device_type", ct.c_int32), ("device_id", ct.c_int32),
                        ("ndim", ct.c_int32), ("code", ct.c_uint8), ("bits", ct.c_uint8), ("lanes", ct.c_uint16),
                        ("shape", ct.POINTER(ct.c_int64)), ("strides", ct.POINTER(ct.c_int64)),
                        ("byte_offset", ct.c_uint64)]

        Deleter = ct.CFUNCTYPE(None, ct.c_void_p)

        class Managed(ct.Structure):
            _fields_ = [("tensor", Tensor), ("ctx", ct.c_void_p), ("deleter", Deleter)]

        def deleter(_):
            _FakeCudaTensor.deleted += 1

        a = self.array
        self._keep = shape = (ct.c_int64 * a.ndim)(*a.shape)
        strides = (ct.c_int64 * a.ndim)(*self.strides) if self.strides else None
        self._deleter = Deleter(deleter)
        self._managed = Managed(Tensor(a.ctypes.data, self.device[0], self.device[1], a.ndim, self.dtype[0],
                                       self.dtype[1], 1, shape, strides, self.offset), None, self._deleter)
        self._strides = strides
        new = ct.pythonapi.PyCapsule_New
        new.restype, new.argtypes = ct.py_object, [ct.c_void_p, ct.c_char_p, ct.c_void_p]
        return new(ct.addressof(self._managed), b"dltensor", None)


@pytest.mark.skipif(DEVICE, reason="needs a machine without a GPU (the fake tensors point to host memory); "
                                   "tools/gpu_dlpack_check.py runs real CUDA tensors on a GPU")
def test_tensors_in_gpu_memory_are_checked_and_given_back():
    """Inputs in GPU memory through DLPack: dtype, shape, contiguity, alignment and device are
    checked before anything runs, every borrowed tensor is given back (its deleter called),
    and host executables refuse them."""
    b = cinn.NetBuilder("dl")
    x = b.input([4, 8], "float32", "x")
    y = b.input([4, 8], "float32", "y")
    prog = b.build(b.add(x, y))
    gpu = cinn.compile(prog, target=cinn.Target.cuda())
    a = np.zeros((4, 8), np.float32)
    fake = lambda **kw: _FakeCudaTensor(a, **kw)  # noqa: E731
    cases = [
        (dict(dtype=(0, 32)), cinn.DTypeError, "input 'x' must have dtype float32, got DLPack type \\(code 0, 32 bits"),
        (dict(strides=[1, 4]), cinn.ExecutionError, "input 'x' must be C-contiguous"),
        (dict(offset=4), cinn.ExecutionError, "input 'x' starts at a device address that is not 16-byte aligned"),
        (dict(device=(2, 1)), cinn.ExecutionError, "input 'x' is on DLPack device \\(2, 1\\)"),
    ]
    for kw, err, msg in cases:
        before = _FakeCudaTensor.deleted
        with pytest.raises(err, match=msg):
            gpu(fake(**kw), fake())
        assert _FakeCudaTensor.deleted == before + 1
    with pytest.raises(cinn.ShapeError, match=r"input 'x' must have shape \[4, 8\], got \[2, 16\]"):
        gpu(_FakeCudaTensor(np.zeros((2, 16), np.float32)), fake())
    with pytest.raises(cinn.ExecutionError, match="input 'y' is not a tensor in GPU memory while other inputs are"):
        gpu(fake(), a)
    # Valid tensors get as far as the device: here, none.
    before = _FakeCudaTensor.deleted
    with pytest.raises(cinn.ExecutionError, match="no CUDA device"):
        gpu(fake(), fake())
    assert _FakeCudaTensor.deleted == before + 2
    with pytest.raises(cinn.ExecutionError, match="runs on host; compile for cinn.Target.cuda"):
        cinn.compile(prog)(fake(), fake())


def _row_program(kind, shape):
    b = cinn.NetBuilder(kind)
    x = b.input(list(shape), "float32", "x")
    if kind == "softmax":
        return b.build(b.softmax(x))
    g = b.input([shape[-1]], "float32", "g")
    be = b.input([shape[-1]], "float32", "b")
    return b.build(b.layer_norm(x, g, be, begin_norm_axis=len(shape) - 1))


@needs_nvrtc
@pytest.mark.parametrize("kind", ["softmax", "layer_norm"])
@pytest.mark.parametrize("shape,per_thread", [((64, 1024), 4), ((16, 4096), 16), ((4, 6, 512), 4),
                                              ((32, 1000), 0)])
def test_rows_read_their_input_once_into_registers(rng, kind, shape, per_thread):
    """softmax / layer_norm rows: the input is read from global memory once, 16 bytes per
    load, into a thread's registers that all three passes of the row read (per_thread
    floats each; rows that 4 x threads does not divide keep the strided passes)."""
    import torch
    prog = _row_program(kind, shape)
    src = cinn.compile(prog, target=cinn.Target.cuda()).source()
    if per_thread:
        assert f"__align__(16) float x_local[{per_thread}];" in src, src
        assert src.count("reinterpret_cast<const uint4*>(x +") == per_thread // 4, src
        assert "reinterpret_cast<uint4*>(v" in src, src  # the output: 16-byte stores
        assert "x[" not in src.replace("reinterpret_cast<const uint4*>(x +", ""), src
    else:
        assert "x_local" not in src
    plain = cinn.compile(prog, target=cinn.Target.cuda(), schedule_params={"row_cache_kb": 1}).source()
    assert "x_local" not in plain
    x = rng.standard_normal(shape).astype("float32")
    t = torch.from_numpy(x)
    if kind == "softmax":
        args, want = dict(x=x), torch.softmax(t, -1).numpy()
    else:
        g, be = rng.standard_normal(shape[-1]).astype("float32"), rng.standard_normal(shape[-1]).astype("float32")
        args = dict(x=x, g=g, b=be)
        want = torch.nn.functional.layer_norm(t, (shape[-1],), torch.from_numpy(g), torch.from_numpy(be)).numpy()
    (got,) = _emulated(prog)(**args)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@needs_nvrtc
@pytest.mark.parametrize("c,hw,f,k,pad", [(16, 16, 32, 3, 1), (16, 15, 32, 1, 0), (3, 32, 16, 7, 3)])
def test_strided_conv2d_takes_the_tiled_schedule(rng, c, hw, f, k, pad):
    """Stride-2 convolutions (ResNet's downsampling, a 7x7 stem) get the register-tiled
    schedule with weights in shared memory too; numerics on the emulator vs torch."""
    import torch
    b = cinn.NetBuilder("conv_s2")
    x = b.input([2, c, hw, hw], "float32", "x")
    wt = b.input([f, c, k, k], "float32", "w")
    prog = b.build(b.conv2d(x, wt, stride=[2, 2], padding=[pad, pad]))
    src = cinn.compile(prog, target=cinn.Target.cuda()).source()
    assert "__shared__ __align__(16) float w_shared" in src, src
    xs = rng.standard_normal((2, c, hw, hw)).astype("float32")
    ws = rng.standard_normal((f, c, k, k)).astype("float32")
    want = torch.nn.functional.conv2d(torch.from_numpy(xs), torch.from_numpy(ws), stride=2, padding=pad).numpy()
    (got,) = _emulated(prog)(x=xs, w=ws)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@needs_nvrtc
def test_casts_to_half_types_round_once(rng):
    """float64 and 32-bit integers convert to float16 / bfloat16 with one rounding (through a
    float rounded to odd): 1 + 2^-11 + 2^-40 is not a tie for float16, 2^24 + 2^16 + 1 not
    one for bfloat16, though rounding to float first makes both ties."""
    x = np.concatenate([[1 + 2.0**-11 + 2.0**-40, -(1 + 2.0**-11 + 2.0**-40), 65519.99, 1e-8, 3e300],
                        rng.standard_normal(4091) * 2.0 ** rng.integers(-30, 17, 4091)])
    b = cinn.NetBuilder("f64_to_f16")
    xv = b.input([4096], "float64", "x")
    prog = b.build(b.cast(xv, "float16"))
    (got,) = _emulated(prog)(x=x)
    with np.errstate(over="ignore"):
        want = x.astype(np.float16)
    np.testing.assert_array_equal(got, want)
    assert got[0] == np.float16(1.0009766)
    b = cinn.NetBuilder("i32_to_bf16")
    iv = b.input([4], "int32", "i")
    prog = b.build(b.cast(b.cast(iv, "bfloat16"), "float32"))
    src = cinn.compile(prog, target=cinn.Target.cuda()).source()
    assert "cinn_odd_float((double)" in src, src
    (got,) = _emulated(prog)(i=np.array([16842753, -16842753, 255, 257], np.int32))
    np.testing.assert_array_equal(got, [16908288, -16908288, 255, 256])
