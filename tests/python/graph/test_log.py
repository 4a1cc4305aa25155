"""$CINN_LOG: the log level of the messages on stderr (cinn/common/log.h). The level is read
once per process, so each case runs in a fresh interpreter."""
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import pathlib, sys
    import numpy as np
    import cinn
    cache = pathlib.Path(sys.argv[1])
    b = cinn.NetBuilder("logged")
    x = b.input([4, 8], "float32", "x")
    prog = b.build([b.exp(b.relu(x))])              # relu: fill_constant and max
    cinn.compile(prog, cache_dir=cache)              # miss: compiled and stored
    for entry in cache.iterdir():                    # corrupt it: a warning, then rebuilt
        entry.write_bytes(b"not a cache entry")
    exe = cinn.compile(prog, cache_dir=cache)
    cinn.compile(prog, cache_dir=cache)              # hit
    (y,) = exe(x=np.ones((4, 8), "float32"))
    assert np.allclose(y, np.e)
""")


def run(tmp_path, level):
    env = dict(os.environ)
    env.pop("CINN_DUMP_DIR", None)
    env.pop("CINN_LOG", None)
    if level is not None:
        env["CINN_LOG"] = level
    p = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "cache")], env=env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return [line for line in p.stderr.splitlines() if line.startswith("cinn[")]


def test_default_level_shows_warnings_only(tmp_path):
    lines = run(tmp_path, None)
    assert len(lines) == 1, lines
    assert lines[0].startswith("cinn[warning]: compile cache entry ") and "is invalid" in lines[0]


def test_error_level_silences_warnings(tmp_path):
    assert run(tmp_path, "error") == []


@pytest.mark.parametrize("level", ["info", "INFO", "2"])
def test_info_level_shows_what_compile_does(tmp_path, level):
    lines = run(tmp_path, level)
    text = "\n".join(lines)
    for want in ("cinn[info]: compile 'logged' for x86", "compile cache miss", "compile cache rebuilt",
                 "compile cache hit", "graph passes and fusion: 3 primitive ops in 1 kernel,",
                 "lowering and scheduling 1 kernel (1 distinct function, 0 from the tuning database)", "code generation (x86)",
                 "done in", "cinn[warning]: compile cache entry"):
        assert want in text, (want, text)
    assert "cinn[debug]" not in text


def test_debug_level_shows_each_kernel(tmp_path):
    lines = run(tmp_path, "debug")
    assert any(line == "cinn[debug]: kernel fn0_fill_constant_max_exp (ElementWise, default schedule): fill_constant max exp"
               for line in lines), lines


def test_an_unknown_level_is_reported_and_means_warning(tmp_path):
    lines = run(tmp_path, "verbose")
    assert lines[0] == ("cinn[warning]: CINN_LOG='verbose' is not a level (error, warning, info, debug); "
                        "using warning"), lines
    assert len(lines) == 2 and "is invalid" in lines[1], lines
