"""Saved artifacts: Executable.save / cinn.load in process, the runtime-only build
(tools/runtime_only, no LLVM/isl) running an x86 artifact in a fresh process, and clear
errors for corrupted or incompatible artifacts."""

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import cinn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
NVRTC, NVRTC_WHY = cinn.nvrtc_available()
DEVICE, DEVICE_WHY = cinn.cuda_device_available()


def _program():
    b = cinn.NetBuilder("mlp")
    x = b.input([16, 40], "float32", "x")
    w = b.constant(np.random.default_rng(1).standard_normal((40, 24)).astype("float32"))
    y = b.softmax(b.matmul(b.tanh(x), w))
    return b.build([y, b.sum(x, [1])])


def _save_with_case(exe, d, x):
    exe.save(d)
    os.makedirs(os.path.join(d, "inputs"))
    os.makedirs(os.path.join(d, "expected"))
    np.save(os.path.join(d, "inputs", "x.npy"), x)
    outs = exe(x=x)
    for i, o in enumerate(outs):
        np.save(os.path.join(d, "expected", f"{i}.npy"), o)
    return outs


def test_save_and_load_in_process(tmp_path, rng):
    exe = cinn.compile(_program())
    x = rng.standard_normal((16, 40)).astype("float32")
    exe.save(tmp_path / "a")
    assert sorted(os.listdir(tmp_path / "a")) == ["kernels.so", "kernels.txt", "manifest.txt", "plan.bin"]
    manifest = (tmp_path / "a" / "manifest.txt").read_text()
    assert manifest.startswith("cinn-artifact 3\n") and "module host-so" in manifest
    assert "input x float32 16x40" in manifest
    loaded = cinn.load(tmp_path / "a")
    assert loaded.input_names == ["x"] and loaded.target == exe.target
    for got, want in zip(loaded(x=x), exe(x=x)):
        np.testing.assert_array_equal(got, want)


@pytest.fixture(scope="module")
def cinn_run(tmp_path_factory):
    """The runtime-only build of tools/runtime_only (C++ compiler and CMake only)."""
    build = tmp_path_factory.mktemp("runtime_only")
    cmake = shutil.which("cmake")
    if cmake is None:
        pytest.skip("cmake is not on PATH: the runtime-only build cannot be configured")
    subprocess.run([cmake, "-S", os.path.join(ROOT, "tools", "runtime_only"), "-B", str(build),
                    f"-DPython3_EXECUTABLE={sys.executable}"], check=True, capture_output=True)
    subprocess.run([cmake, "--build", str(build), "-j2"], check=True, capture_output=True)
    return str(build / "cinn_run")


def test_runtime_only_runner_runs_an_x86_artifact_in_a_fresh_process(tmp_path, rng, cinn_run):
    exe = cinn.compile(_program())
    d = str(tmp_path / "a")
    outs = _save_with_case(exe, d, rng.standard_normal((16, 40)).astype("float32"))
    r = subprocess.run([cinn_run, d, "--check", "--out-dir", str(tmp_path / "out"), "--repeat", "3"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS" in r.stdout and "3 runs" in r.stdout
    for i, o in enumerate(outs):
        np.testing.assert_array_equal(np.load(tmp_path / "out" / f"{i}.npy"), o)


_RUNTIME_SCRIPT = """
import sys, numpy as np
import _cinn_runtime as rt
assert "cinn" not in sys.modules  # the compiler package is not needed
exe = rt.load(sys.argv[1])
x = np.load(sys.argv[1] + "/inputs/x.npy")
outs = exe.run([x])
for i, o in enumerate(outs):
    np.testing.assert_array_equal(o, np.load(sys.argv[1] + f"/expected/{i}.npy"))
print(exe.input_names, exe.output_names, exe.device, [o.shape for o in outs])
try:
    exe.run([x[:3]])
except rt.ShapeError as e:
    print("ShapeError:", e)
try:
    rt.load(sys.argv[1] + "/missing")
except rt.ExecutionError as e:
    print("ExecutionError:", e)
"""


def test_runtime_only_python_module_runs_an_x86_artifact(tmp_path, rng, cinn_run):
    """The runtime-only build's Python extension (_cinn_runtime: no compiler inside) loads a
    saved artifact in a fresh process and runs it on numpy arrays, with cinn's errors."""
    build = os.path.dirname(cinn_run)
    if not [f for f in os.listdir(build) if f.startswith("_cinn_runtime")]:
        pytest.skip("the runtime-only build found no Python headers or pybind11: _cinn_runtime not built")
    exe = cinn.compile(_program())
    d = str(tmp_path / "a")
    _save_with_case(exe, d, rng.standard_normal((16, 40)).astype("float32"))
    env = dict(os.environ, PYTHONPATH=build)
    r = subprocess.run([sys.executable, "-c", _RUNTIME_SCRIPT, d], capture_output=True, text=True, env=env,
                       cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "['x'] " in r.stdout and "host" in r.stdout and "[(16, 24), (16,)]" in r.stdout, r.stdout
    assert "ShapeError: input 'x' must have shape [16, 40], got [3, 40]" in r.stdout, r.stdout
    assert "ExecutionError:" in r.stdout and "missing" in r.stdout, r.stdout


def test_runner_checks_float16_outputs(tmp_path, rng, cinn_run):
    b = cinn.NetBuilder("half")
    x = b.input([64, 32], "float16", "x")
    exe = cinn.compile(b.build([b.add(b.mul(x, x), x)]))
    d = str(tmp_path / "a")
    _save_with_case(exe, d, rng.standard_normal((64, 32)).astype("float16"))
    r = subprocess.run([cinn_run, d, "--check"], capture_output=True, text=True)
    assert r.returncode == 0 and "PASS" in r.stdout, r.stdout + r.stderr
    np.save(os.path.join(d, "expected", "0.npy"), np.zeros((64, 32), "float16"))
    r = subprocess.run([cinn_run, d, "--check"], capture_output=True, text=True)
    assert r.returncode == 1 and "FAIL" in r.stdout, r.stdout + r.stderr


def test_runner_reports_a_mismatch_and_bad_inputs(tmp_path, rng, cinn_run):
    exe = cinn.compile(_program())
    d = str(tmp_path / "a")
    _save_with_case(exe, d, rng.standard_normal((16, 40)).astype("float32"))
    np.save(os.path.join(d, "expected", "0.npy"), np.zeros((16, 24), "float32"))
    r = subprocess.run([cinn_run, d, "--check"], capture_output=True, text=True)
    assert r.returncode == 1 and "FAIL" in r.stdout and "output 0" in r.stdout
    np.save(os.path.join(d, "inputs", "x.npy"), np.zeros((3, 3), "float64"))
    r = subprocess.run([cinn_run, d], capture_output=True, text=True)
    assert r.returncode == 2 and "input 'x'" in r.stderr


def test_corrupted_or_mismatched_artifacts_are_clear_errors(tmp_path):
    exe = cinn.compile(_program())
    d = tmp_path / "a"
    exe.save(d)
    with open(d / "kernels.so", "ab") as f:
        f.write(b"x")
    with pytest.raises(cinn.ExecutionError, match="kernels.so has .* bytes, the manifest says"):
        cinn.load(d)
    exe.save(d)
    plan = bytearray((d / "plan.bin").read_bytes())
    plan[-1] ^= 0xFF
    (d / "plan.bin").write_bytes(bytes(plan))
    with pytest.raises(cinn.ExecutionError, match="plan.bin does not match its checksum"):
        cinn.load(d)
    exe.save(d)
    text = (d / "manifest.txt").read_text().replace("cinn-artifact 3", "cinn-artifact 99")
    (d / "manifest.txt").write_text(text)
    with pytest.raises(cinn.ExecutionError, match="format version 99, this build reads version 3"):
        cinn.load(d)
    with pytest.raises(cinn.ExecutionError, match="not a directory"):
        cinn.load(tmp_path / "missing")


def test_manifest_lines_are_checked(tmp_path):
    """The manifest's signature must be the plan's, every line must be known, and a target
    must be named: an edited manifest is refused rather than run with another signature."""
    exe = cinn.compile(_program())
    d = tmp_path / "a"

    def edited(old, new):
        exe.save(d)
        text = (d / "manifest.txt").read_text()
        assert old in text
        (d / "manifest.txt").write_text(text.replace(old, new))
        return d

    with pytest.raises(cinn.ExecutionError, match=r"manifest.txt lists the signature 'input z float64 3x3; .*' "
                                                  r"but plan.bin has 'input x float32 16x40; "):
        cinn.load(edited("input x float32 16x40", "input z float64 3x3"))
    with pytest.raises(cinn.ExecutionError, match="lists the signature"):
        cinn.load(edited("input x float32 16x40\n", "input x float32 16x40\ninput y float32 2\n"))
    with pytest.raises(cinn.ExecutionError, match="bad manifest line 'pragma x'"):
        cinn.load(edited("module host-so\n", "module host-so\npragma x\n"))
    exe.save(d)
    lines = (d / "manifest.txt").read_text().splitlines(keepends=True)
    (d / "manifest.txt").write_text("".join(line for line in lines if not line.startswith("target ")))
    with pytest.raises(cinn.ExecutionError, match="the manifest names no target"):
        cinn.load(d)


@pytest.mark.skipif(not NVRTC, reason=f"no NVRTC: {NVRTC_WHY}")
def test_cuda_artifact_holds_cubin_and_ptx_and_needs_a_device(tmp_path, rng):
    exe = cinn.compile(_program(), target=cinn.Target.cuda())
    exe.save(tmp_path / "g")
    files = sorted(os.listdir(tmp_path / "g"))
    assert files == ["kernels.cubin", "kernels.ptx", "launch.txt", "manifest.txt", "plan.bin"]
    assert "module cuda-cubin" in (tmp_path / "g" / "manifest.txt").read_text()
    loaded = cinn.load(tmp_path / "g")
    x = rng.standard_normal((16, 40)).astype("float32")
    if not DEVICE:
        with pytest.raises(cinn.ExecutionError, match="no CUDA device"):
            loaded(x=x)
        return
    for got, want in zip(loaded(x=x), cinn.compile(_program())(x=x)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
