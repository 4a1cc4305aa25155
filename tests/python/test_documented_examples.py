"""The examples users copy first: README.md's Python blocks, run as written, and the public
contract of DESIGN.md section 4 (every name and call it shows), checked against numpy."""
import contextlib
import importlib
import io
import os
import re

import numpy as np
import pytest

import cinn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    with open(os.path.join(ROOT, "README.md")) as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)  # anything a block writes stays in tmp_path
    scope = {}

    def run(i):
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(blocks[i], f"README.md python block {i + 1}", "exec"), scope)

    # Block 1 computes c = a @ b with a scheduled DSL kernel, block 2 a softmax MLP.
    run(0)
    np.testing.assert_allclose(scope["c"], scope["a"] @ scope["b"], rtol=1e-4, atol=1e-4)
    for i in range(1, len(blocks)):
        run(i)
    out = scope["out"]
    assert out.shape == (32, 256)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


def test_design_section_4_contract(tmp_path, rng):
    from cinn import lang
    cpu = cinn.Target.x86()
    gpu = cinn.Target.cuda()
    assert "sm_" in str(gpu)

    b = cinn.NetBuilder("mlp")
    x = b.input([32, 784], "float32", "x")
    w = b.input([784, 256], "float32", "w")
    y = b.relu(b.matmul(x, w))
    prog = b.build([y])
    assert "matmul" in str(prog)
    exe = cinn.compile(prog, target=cpu)
    xv = rng.standard_normal((32, 784)).astype("float32")
    wv = rng.standard_normal((784, 256)).astype("float32") * 0.05
    (out,) = exe(x=xv, w=wv)
    np.testing.assert_allclose(out, np.maximum(xv @ wv, 0), rtol=1e-4, atol=1e-4)
    assert "define" in exe.source() and exe.fusion_groups
    exe.save(str(tmp_path / "model.cinn"))
    exe2 = cinn.load(str(tmp_path / "model.cinn"))
    np.testing.assert_array_equal(exe2(x=xv, w=wv)[0], out)

    # Training: forward + backward in one program.
    t = cinn.NetBuilder("loss")
    tx = t.input([4, 8], "float32", "x")
    tw = t.input([8, 3], "float32", "w")
    loss = t.sum(t.matmul(tx, tw), [0, 1])
    gprog = cinn.grad(t.build([loss]), loss=loss, wrt=[tw])
    a = rng.standard_normal((4, 8)).astype("float32")
    wt = rng.standard_normal((8, 3)).astype("float32")
    lv, dw = cinn.compile(gprog, target=cpu)(x=a, w=wt)
    np.testing.assert_allclose(lv, (a @ wt).sum(), rtol=1e-4)
    np.testing.assert_allclose(dw, np.repeat(a.sum(0)[:, None], 3, axis=1), rtol=1e-5)

    # Kernel DSL + schedules.
    M, N, K = 64, 48, 32
    A = lang.placeholder((M, K), "float32", "A")
    B = lang.placeholder((K, N), "float32", "B")
    k = lang.reduce_axis(K, "k")
    C = lang.compute((M, N), lambda i, j: lang.sum(A[i, k] * B[k, j], axis=k), "C")
    sch = cinn.Schedule(lang.lower("matmul", [A, B, C]))
    i, j = sch.get_loops("C")[:2]
    io_, ii = sch.split(i, [None, 32])
    kern = cinn.build(sch, target=cpu)
    av = rng.standard_normal((M, K)).astype("float32")
    bv = rng.standard_normal((K, N)).astype("float32")
    cv = np.zeros((M, N), "float32")
    kern(av, bv, cv)
    np.testing.assert_allclose(cv, av @ bv, rtol=1e-4, atol=1e-4)
    assert "for (" in str(sch.func)

    # Importers and framework integration: the entry points exist and are callable.
    importlib.import_module("cinn.mlir")
    importlib.import_module("cinn.onnx")
    assert callable(cinn.onnx.compile) and callable(cinn.mlir.import_tosa)
    torch = pytest.importorskip("torch")
    importlib.import_module("cinn.torch")
    lin = torch.nn.Linear(4, 3)
    fast = cinn.torch.compile(lin, target=cpu)
    xt = torch.randn(2, 4)
    with torch.no_grad():
        torch.testing.assert_close(fast(xt), lin(xt))

    # Tuning, and compile reading the database through CompileOptions.
    db = str(tmp_path / "cinn_tuning.db")
    cinn.tune(prog, target=cpu, trials=4, database=db, progress=False)
    exe = cinn.compile(prog, target=cpu, options=cinn.CompileOptions(database=db))
    assert [g["schedule"] for g in exe.fusion_groups] == ["tuned"]
    np.testing.assert_allclose(exe(x=xv, w=wv)[0], np.maximum(xv @ wv, 0), rtol=1e-4, atol=1e-4)

    # Errors are cinn.Error subclasses.
    for name in ("ShapeError", "DTypeError", "UnsupportedOpError", "ScheduleError", "CompileError",
                 "ExecutionError"):
        assert issubclass(getattr(cinn, name), cinn.Error)


def test_backend_guide_blocks_are_the_tests_code():
    """docs/adding_a_backend.md shows code taken from tests/cpp/backends/extra_backend_test.cc
    (which runs in CI): every C++ block of the guide is in the test, up to whitespace."""
    with open(os.path.join(ROOT, "docs", "adding_a_backend.md")) as f:
        blocks = re.findall(r"```cpp\n(.*?)```", f.read(), re.S)
    with open(os.path.join(ROOT, "tests", "cpp", "backends", "extra_backend_test.cc")) as f:
        source = " ".join(f.read().split())
    assert len(blocks) >= 3
    for block in blocks:
        assert " ".join(block.split()) in source, block
