"""cinn.CompileOptions: the one value carrying compile options (DESIGN.md section 4), given
to cinn.compile as options= and/or as keyword fields."""
import copy

import numpy as np
import pytest

import cinn


def mlp():
    b = cinn.NetBuilder("options_net")
    x = b.input([8, 16], "float32", "x")
    w = b.input([16, 32], "float32", "w")
    m = b.matmul(x, w)
    y = b.relu(b.add(m, m))
    return b.build([b.softmax(y)])


def run(exe, rng):
    x = rng.standard_normal((8, 16), dtype=np.float32)
    w = rng.standard_normal((16, 32), dtype=np.float32) * 0.2
    h = np.maximum(2 * (x @ w), 0)
    e = np.exp(h - h.max(-1, keepdims=True))
    (out,) = exe(x=x, w=w)
    np.testing.assert_allclose(out, e / e.sum(-1, keepdims=True), rtol=1e-5, atol=1e-6)


def test_defaults_and_fields():
    o = cinn.CompileOptions()
    assert cinn.CompileOptions.fields == ("fusion", "opt_level", "precise_math", "fold_constants", "cache",
                                          "cache_dir", "dump_dir", "schedule_params", "database")
    assert (o.fusion, o.opt_level, o.precise_math, o.fold_constants, o.cache) == (True, 3, False, True, True)
    assert (o.cache_dir, o.dump_dir, o.schedule_params, o.database) == (None, None, {}, None)
    assert repr(o).startswith("CompileOptions(fusion=True, opt_level=3,")


def test_options_are_values(tmp_path):
    o = cinn.CompileOptions(fusion=False, database=tmp_path / "t.db", schedule_params={"x86_vector": 8})
    assert o.database == str(tmp_path / "t.db")  # os.PathLike becomes str
    p = o.replace(opt_level=1)
    assert (p.opt_level, o.opt_level) == (1, 3)  # replace copies
    assert p != o and p.replace(opt_level=3) == o
    q = copy.copy(o)
    q.fusion = True
    assert o.fusion is False and q != o
    assert o != {"fusion": False}
    o.database = None
    assert o.database is None


@pytest.mark.parametrize("fields, message", [
    ({"fuse": True}, "unknown option 'fuse'; the options are fusion, opt_level"),
    ({"fusion": "no"}, r"CompileOptions.fusion must be a bool, got str 'no'"),
    ({"opt_level": 4}, "opt_level must be 0, 1, 2 or 3, got 4"),
    ({"opt_level": 2.0}, "opt_level must be an int, got float"),
    ({"cache_dir": 3}, r"cache_dir must be a path \(str or os.PathLike\) or None, got int"),
    ({"schedule_params": {"matmul_tm": 1.5}}, "must map knob names .str. to ints, got 'matmul_tm': 1.5"),
    ({"schedule_params": [("matmul_tm", 8)]}, "must be a dict of knob name to int, got list"),
])
def test_bad_fields_are_cinn_errors(fields, message):
    with pytest.raises(cinn.Error, match=message):
        cinn.CompileOptions(**fields)
    with pytest.raises(cinn.Error, match=message):
        cinn.CompileOptions().replace(**fields)
    with pytest.raises(cinn.Error, match=message):
        cinn.compile(mlp(), **fields)


def test_build_checks_opt_level_too():
    from cinn import lang
    A = lang.placeholder((8,), "float32", "A")
    B = lang.compute((8,), lambda i: A[i] * 2.0, "B")
    with pytest.raises(cinn.CompileError, match="build 'double': opt_level must be 0, 1, 2 or 3, got 4"):
        cinn.build(lang.lower("double", [A, B]), opt_level=4)


def test_compile_takes_options_and_keyword_fields(rng):
    prog = mlp()
    fused = cinn.compile(prog, cache=False)
    unfused = cinn.compile(prog, options=cinn.CompileOptions(fusion=False, cache=False))
    assert len(unfused.fusion_groups) > len(fused.fusion_groups)
    # A keyword changes one field of the given options.
    again = cinn.compile(prog, options=cinn.CompileOptions(fusion=False), cache=False, fusion=True)
    assert len(again.fusion_groups) == len(fused.fusion_groups)
    for exe in (fused, unfused, again):
        run(exe, rng)
    with pytest.raises(cinn.Error, match="compile: options must be a cinn.CompileOptions, got dict"):
        cinn.compile(prog, options={"fusion": False})
    # Options are keywords only: the third positional argument used to be `fusion`.
    with pytest.raises(TypeError):
        cinn.compile(prog, None, cinn.CompileOptions())
    with pytest.raises(cinn.Error, match="opt_level must be 0, 1, 2 or 3, got 1099511627776"):
        cinn.compile(prog, opt_level=2 ** 40)
    with pytest.raises(cinn.Error, match="must fit in 64 bits"):
        cinn.compile(prog, schedule_params={"matmul_mr": 2 ** 70})


def test_options_reach_the_cache_and_dumps(tmp_path, rng, monkeypatch):
    monkeypatch.delenv("CINN_DUMP_DIR", raising=False)  # dumps bypass the cache
    prog = mlp()
    o = cinn.CompileOptions(cache_dir=tmp_path / "cache")
    first = cinn.compile(prog, options=o)
    second = cinn.compile(prog, options=o)
    assert (first.cache_status, second.cache_status) == ("miss", "hit")
    assert list((tmp_path / "cache").iterdir())
    dumped = cinn.compile(prog, options=o.replace(dump_dir=tmp_path / "dump"))
    assert dumped.cache_status == "off" and list((tmp_path / "dump").rglob("*"))
    run(second, rng)


def test_importers_and_torch_pass_options_on(rng):
    import cinn.mlir
    text = """func.func @f(%a: tensor<4x6xf32>, %b: tensor<4x6xf32>) -> tensor<4x6xf32> {
      %0 = tosa.add %a, %b : (tensor<4x6xf32>, tensor<4x6xf32>) -> tensor<4x6xf32>
      %1 = tosa.exp %0 : (tensor<4x6xf32>) -> tensor<4x6xf32>
      return %1 : tensor<4x6xf32>
    }"""
    unfused = cinn.mlir.compile(text, options=cinn.CompileOptions(fusion=False, cache=False))
    assert len(unfused.fusion_groups) == 2
    a, b = rng.standard_normal((2, 4, 6), dtype=np.float32)
    np.testing.assert_allclose(unfused(a, b)[0], np.exp(a + b), rtol=1e-5)
    torch = pytest.importorskip("torch")
    fast = cinn.torch.compile(lambda a: torch.relu(a) * 2, options=cinn.CompileOptions(cache=False))
    a = torch.randn(4, 5)
    torch.testing.assert_close(fast(a), torch.relu(a) * 2)
    with pytest.raises(cinn.Error, match="unknown option 'fuse'"):
        cinn.torch.compile(lambda a: a, fuse=False)
    with pytest.raises(cinn.Error, match="options must be a cinn.CompileOptions"):
        cinn.torch.compile(lambda a: a, options=3)
