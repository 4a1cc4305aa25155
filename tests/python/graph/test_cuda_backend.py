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
