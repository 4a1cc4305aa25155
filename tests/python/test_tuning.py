"""cinn.tune: the auto-scheduler measures schedules of a program's kernels into an SQLite
database, and cinn.compile(..., database=...) replays the fastest ones (docs/tuning.md)."""
import re
import sqlite3

import numpy as np
import pytest

import cinn
import programs


def mlp_and_conv():
    """A matmul + relu, a second matmul of the same shape (one task of weight 2), a softmax
    and a conv2d: tunable kernels and kernels without knobs."""
    b = cinn.NetBuilder("tune_net")
    x = b.input([24, 64], "float32", "x")
    w1 = b.input([64, 64], "float32", "w1")
    w2 = b.input([64, 64], "float32", "w2")
    h = b.matmul(b.relu(b.matmul(x, w1)), w2)
    y = b.softmax(h)
    img = b.input([1, 8, 14, 14], "float32", "img")
    k = b.input([16, 8, 3, 3], "float32", "k")
    c = b.conv2d(img, k, stride=[1, 1], padding=[1, 1])
    return b.build([y, c])


def inputs(rng):
    return {"x": rng.standard_normal((24, 64), dtype=np.float32),
            "w1": rng.standard_normal((64, 64), dtype=np.float32) * 0.1,
            "w2": rng.standard_normal((64, 64), dtype=np.float32) * 0.1,
            "img": rng.standard_normal((1, 8, 14, 14), dtype=np.float32),
            "k": rng.standard_normal((16, 8, 3, 3), dtype=np.float32)}


def expected(a):
    import torch
    h = torch.relu(torch.from_numpy(a["x"]) @ torch.from_numpy(a["w1"])) @ torch.from_numpy(a["w2"])
    c = torch.nn.functional.conv2d(torch.from_numpy(a["img"]), torch.from_numpy(a["k"]), padding=1)
    return [torch.softmax(h, -1).numpy(), c.numpy()]


def records(db):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT task_key, target, trace, params, seconds FROM records").fetchall()


def test_tune_records_measurements_and_compile_replays_the_fastest(tmp_path, rng, capfd):
    db = tmp_path / "tune.db"
    prog = mlp_and_conv()
    report = cinn.tune(prog, trials=14, batch=4, database=db, progress=False)
    assert report.trials == 14
    rows = records(db)
    tuned = [t for t in report.tasks if t["candidates"] > 1]
    # The matmuls (one task of weight 2, the second with its relu epilogue fused apart or
    # not) and the conv have knobs; the softmax has none.
    assert any("conv2d" in t["kernel"] for t in tuned)
    assert all(t["default_seconds"] > 0 and 0 < t["best_seconds"] <= t["default_seconds"] for t in tuned)
    assert sum(t["measured"] for t in report.tasks) == 14
    assert any(t["candidates"] == 1 for t in report.tasks)
    assert "measurements into" in str(report)
    # 14 distinct schedules measured; the rows beyond them are the final confirmations
    # (a task's default and best measured again), two per task whose best was not its default.
    assert len({(r[0], r[2]) for r in rows}) == 14
    extra = len(rows) - 14
    assert extra % 2 == 0 and extra <= 2 * len(report.tasks)

    capfd.readouterr()
    exe = cinn.compile(prog, database=db, cache=False)
    assert "does not replay" not in capfd.readouterr().err
    how = {g["name"]: g["schedule"] for g in exe.fusion_groups}
    tuned_names = {t["kernel"] for t in tuned}
    assert {n for n, s in how.items() if s == "tuned"} >= tuned_names
    assert "default" in how.values()
    a = inputs(rng)
    for got, want in zip(exe(**a), expected(a)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    # The loop IR of a tuned kernel is the one of its best knob values.
    best = min((r for r in rows if r[0] == tuned[0]["key"]), key=lambda r: r[4])
    params = dict(kv.split("=") for kv in best[3].split(",")) if best[3] else {}
    plain = cinn.compile(prog, cache=False, schedule_params={k: int(v) for k, v in params.items()})
    assert tuned[0]["kernel"] in exe.loop_ir
    kernel_ir = lambda e, name: e.loop_ir.split(f"func {name}(")[1].split("\nfunc ")[0]  # noqa: E731
    assert kernel_ir(exe, tuned[0]["kernel"]) == kernel_ir(plain, tuned[0]["kernel"])


def test_one_compile_options_serves_tune_and_compile(tmp_path, rng):
    # tune writes the database of the options that compile then reads.
    opts = cinn.CompileOptions(database=tmp_path / "o.db", cache=False)
    b = cinn.NetBuilder("mm")
    prog = b.build([b.matmul(b.input([32, 48], "float32", "x"), b.input([48, 64], "float32", "w"))])
    cinn.tune(prog, trials=3, progress=False, options=opts)
    assert records(tmp_path / "o.db") and not (tmp_path / "cinn_tuning.db").exists()
    exe = cinn.compile(prog, options=opts)
    assert [g["schedule"] for g in exe.fusion_groups] == ["tuned"]


def test_a_second_tune_continues_where_the_first_stopped(tmp_path):
    db = tmp_path / "tune.db"
    prog = mlp_and_conv()
    first = cinn.tune(prog, trials=6, database=db, progress=False)
    second = cinn.tune(prog, trials=6, database=db, progress=False)
    assert first.trials == second.trials == 6
    rows = records(db)
    assert len({(r[0], r[2]) for r in rows}) == 12  # the second run measured 6 new schedules
    measured = {t["key"]: t["measured"] for t in second.tasks}
    assert sum(measured.values()) == 12


def test_identical_kernels_share_a_task(tmp_path, rng):
    b = cinn.NetBuilder("twins")
    x = b.input([32, 48], "float32", "x")
    w = b.input([48, 48], "float32", "w")
    y = b.matmul(b.matmul(x, w), w)
    prog = b.build([y])
    report = cinn.tune(prog, trials=5, database=tmp_path / "t.db", progress=False)
    matmuls = [t for t in report.tasks if t["kind"] == "out_fusible"]
    assert len(matmuls) == 1 and matmuls[0]["weight"] == 2
    exe = cinn.compile(prog, database=tmp_path / "t.db", cache=False)
    assert [g["schedule"] for g in exe.fusion_groups] == ["tuned", "tuned"]
    xv = rng.standard_normal((32, 48), dtype=np.float32)
    wv = rng.standard_normal((48, 48), dtype=np.float32)
    np.testing.assert_allclose(exe(x=xv, w=wv)[0], xv @ wv @ wv, rtol=1e-4, atol=1e-4)


def test_the_compile_cache_follows_the_database(tmp_path):
    db = tmp_path / "tune.db"
    prog = mlp_and_conv()
    cinn.tune(prog, trials=10, database=db, progress=False)  # some task gets two schedules
    cache = tmp_path / "cache"
    assert cinn.compile(prog, database=db, cache_dir=cache).cache_status == "miss"
    assert cinn.compile(prog, database=db, cache_dir=cache).cache_status == "hit"
    assert cinn.compile(prog, cache_dir=cache).cache_status == "miss"  # no database: another entry
    # Another schedule of a task becoming its best (a row whose trace is not its task's best,
    # made the fastest) is another entry.
    with sqlite3.connect(db) as c:
        (row,) = c.execute(
            "SELECT r.id FROM records r WHERE r.trace != (SELECT q.trace FROM records q WHERE "
            "q.task_key = r.task_key ORDER BY q.seconds, q.id LIMIT 1) LIMIT 1").fetchone()
        c.execute("UPDATE records SET seconds = 1e-12 WHERE id = ?", (row,))
    exe = cinn.compile(prog, database=db, cache_dir=cache)
    assert exe.cache_status == "miss"
    assert cinn.compile(prog, database=db, cache_dir=cache).cache_status == "hit"


def test_a_record_that_does_not_replay_falls_back_to_the_default_schedule(tmp_path, rng, capfd):
    db = tmp_path / "tune.db"
    prog = mlp_and_conv()
    report = cinn.tune(prog, trials=3, database=db, progress=False)
    key = next(t["key"] for t in report.tasks if t["default_seconds"] > 0)
    with sqlite3.connect(db) as c:
        c.execute("INSERT INTO records (task_key, target, kernel, kind, trace, params, seconds) "
                  "SELECT task_key, target, kernel, kind, ?, '', 1e-12 FROM records WHERE task_key = ? LIMIT 1",
                  ('[{"kind": "get_block", "inputs": [], "outputs": [0], "ints": [], "strs": ["$999"]}]', key))
    exe = cinn.compile(prog, database=db, cache=False)
    err = capfd.readouterr().err
    assert "does not replay" in err and "$999" in err
    a = inputs(rng)
    for got, want in zip(exe(**a), expected(a)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_tuning_errors_are_cinn_errors(tmp_path):
    prog = mlp_and_conv()
    with pytest.raises(cinn.Error, match="trials"):
        cinn.tune(prog, trials=0, database=tmp_path / "t.db", progress=False)
    with pytest.raises(cinn.Error, match="batch"):
        cinn.tune(prog, trials=2, batch=0, database=tmp_path / "t.db", progress=False)
    with pytest.raises(cinn.Error, match="unknown option 'fuse'"):
        cinn.tune(prog, trials=2, database=tmp_path / "t.db", progress=False, fuse=False)
    with pytest.raises(cinn.Error, match="database=.*but options.database=.*give one of them"):
        cinn.tune(prog, trials=2, database=tmp_path / "a.db", progress=False,
                  options=cinn.CompileOptions(database=tmp_path / "b.db"))
    with pytest.raises(TypeError):  # the 7th positional argument used to be `fusion`
        cinn.tune(prog, None, 2, tmp_path / "t.db", 8, 0, False)
    text = tmp_path / "notes.db"
    text.write_text("not a database " * 20)
    with pytest.raises(cinn.CompileError, match="not a CINN tuning database"):
        cinn.tune(prog, trials=2, database=text, progress=False)
    with pytest.raises(cinn.CompileError, match="not a CINN tuning database"):
        cinn.compile(prog, database=text, cache=False)
    # Reading a database never creates one: a mistyped path is an error.
    with pytest.raises(cinn.CompileError, match="does not exist"):
        cinn.compile(prog, database=tmp_path / "typo.db", cache=False)
    with pytest.raises(cinn.CompileError, match="does not exist"):
        cinn.compile(prog, database=tmp_path / "typo.db")
    with pytest.raises(cinn.CompileError, match="does not exist"):
        cinn.build(matmul_func(), database=tmp_path / "typo.db")
    assert not (tmp_path / "typo.db").exists()
    with pytest.raises(cinn.CompileError, match="cannot open"):
        cinn.tune(prog, trials=2, database=tmp_path / "missing" / "dir" / "t.db", progress=False)


def test_tuning_for_cuda_needs_a_device_or_runs_on_it(tmp_path, rng):
    """Without a GPU, tuning for Target.cuda() is a clear error (the kernels cannot be
    measured); with one, the tuned executable runs there and matches torch."""
    prog = mlp_and_conv()
    available, why = cinn.cuda_device_available()
    if not available:
        with pytest.raises(cinn.CompileError, match="no kernel could be measured"):
            cinn.tune(prog, target=cinn.Target.cuda(), trials=4, database=tmp_path / "t.db", progress=False)
        return
    report = cinn.tune(prog, target=cinn.Target.cuda(), trials=8, database=tmp_path / "t.db", progress=False)
    assert report.trials == 8
    exe = cinn.compile(prog, target=cinn.Target.cuda(), database=tmp_path / "t.db", cache=False)
    assert "tuned" in [g["schedule"] for g in exe.fusion_groups]
    a = inputs(rng)
    for got, want in zip(exe(**a), expected(a)):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)


def test_cuda_schedules_tune_under_the_emulator(tmp_path, rng):
    """The CUDA backend's knobs (threads, matmul and conv tiles, vector moves) go through the
    same search: under the CUDA emulator (GPU threads as fibers on the host) the measured
    schedules replay in compile and compute the right values. The times mean nothing."""
    t = cinn.Target.cuda()
    t.backend = "cuda_emulator"
    b = cinn.NetBuilder("emu")
    x = b.input([16, 32], "float32", "x")
    w = b.input([32, 32], "float32", "w")
    y = b.softmax(b.relu(b.matmul(x, w)))
    prog = b.build([y])
    report = cinn.tune(prog, target=t, trials=6, batch=3, database=tmp_path / "t.db", progress=False)
    assert report.trials == 6
    assert all(t_["error"] == "" for t_ in report.tasks)
    exe = cinn.compile(prog, target=t, database=tmp_path / "t.db", cache=False)
    assert "tuned" in [g["schedule"] for g in exe.fusion_groups]
    xv = rng.standard_normal((16, 32), dtype=np.float32)
    wv = rng.standard_normal((32, 32), dtype=np.float32)
    h = np.maximum(xv @ wv, 0)
    e = np.exp(h - h.max(-1, keepdims=True))
    np.testing.assert_allclose(exe(x=xv, w=wv)[0], e / e.sum(-1, keepdims=True), rtol=1e-4, atol=1e-6)


def matmul_func(m=64, n=64, k=48):
    return programs.matmul(M=m, N=n, K=k)


def matmul_space(sch):
    """Tiles i and j with sampled factors, the k loop outside the tile, j vectorized."""
    i, j, r = sch.get_loops("C")
    i0, i1 = sch.split(i, sch.sample_perfect_tile(i, 2, 16))
    j0, j1 = sch.split(j, sch.sample_perfect_tile(j, 2, 32))
    sch.reorder(i0, j0, r, i1, j1)
    if sch.sample_categorical([0, 1], [0.5, 0.5]):
        sch.unroll(i1)
    sch.vectorize(j1)
    sch.parallel(i0)


def test_tune_kernel_searches_a_design_space_and_build_replays_the_best(tmp_path, rng):
    db = tmp_path / "k.db"
    report = cinn.tune_kernel(matmul_func(), matmul_space, trials=20, batch=5, database=db, progress=False)
    assert report.trials == 20
    (task,) = report.tasks
    assert task["error"] == ""
    # The baseline is the space's first draw.
    assert 0 < task["best_seconds"] <= task["default_seconds"]
    # The best record is labelled with its decisions: tile factors and the unroll choice.
    assert re.fullmatch(r"\d+x\d+ \d+x\d+ choose [01]", task["best_params"]), task["best_params"]
    assert task["measured"] == 20 and task["candidates"] >= 20
    rows = records(db)
    # Every schedule is a distinct trace, with its sampled decisions in it.
    assert len({r[2] for r in rows}) == 20
    assert all("sample_perfect_tile" in r[2] for r in rows)
    kern = cinn.build(matmul_func(), database=db)
    a = rng.standard_normal((64, 48), dtype=np.float32)
    b = rng.standard_normal((48, 64), dtype=np.float32)
    np.testing.assert_allclose(kern(a, b), a @ b, rtol=1e-4, atol=1e-4)
    best = min(rows, key=lambda r: r[4])[2]
    assert "sample_perfect_tile" in best
    # The built kernel is the best trace replayed: its loops are tiled.
    assert "parallel for" in str(kern.func)
    # A second run continues: 10 more distinct schedules (mutations of the best ones).
    again = cinn.tune_kernel(matmul_func(), matmul_space, trials=10, batch=5, database=db, progress=False)
    assert again.trials == 10
    assert len({r[2] for r in records(db)}) == 30


def test_tune_kernel_errors(tmp_path):
    db = tmp_path / "k.db"
    with pytest.raises(cinn.Error, match="space must be a function"):
        cinn.tune_kernel(matmul_func(), None, trials=2, database=db, progress=False)

    def broken(sch):
        raise ValueError("a bug in the space")
    with pytest.raises(ValueError, match="a bug in the space"):
        cinn.tune_kernel(matmul_func(), broken, trials=4, database=db, progress=False)

    def never(sch):
        sch.split(sch.get_loops("C")[0], [5, 5])  # 64 is not 25: ScheduleError every time
    report = cinn.tune_kernel(matmul_func(), never, trials=4, database=tmp_path / "never.db", progress=False)
    assert report.trials == 0
    assert "made no schedule" in report.tasks[0]["error"] and "split" in report.tasks[0]["error"]

    def refuses(sch):
        raise cinn.ScheduleError("not this one")  # a space's own ScheduleError keeps its text
    report = cinn.tune_kernel(matmul_func(), refuses, trials=2, database=tmp_path / "r.db", progress=False)
    assert report.tasks[0]["error"].endswith("made no schedule in 16 draws: not this one"), report.tasks[0]

    with pytest.warns(UserWarning, match="no tuning record"):
        kern = cinn.build(matmul_func(n=32), database=db)
    a = np.ones((64, 48), np.float32)
    np.testing.assert_allclose(kern(a, np.ones((48, 32), np.float32)), np.full((64, 32), 48.0))
    with pytest.raises(cinn.Error, match="unscheduled LoweredFunc"):
        cinn.build(cinn.Schedule(matmul_func()), database=db)


def test_records_replay_on_every_kernel_of_a_task_with_derived_buffer_names(tmp_path, rng, capfd):
    """Two convolutions of one shape are one task. Their default x86 schedule may stage the
    weights in a new buffer named after the weights' own name ("w1_global"); a record made
    on one kernel must replay on the other, whose buffer is "w2_global"."""
    b = cinn.NetBuilder("two_convs")
    x = b.input([1, 16, 56, 56], "float32", "img")
    w1 = b.input([16, 16, 3, 3], "float32", "w1")
    w2 = b.input([16, 16, 3, 3], "float32", "w2")
    y = b.conv2d(b.relu(b.conv2d(x, w1, padding=[1, 1])), w2, padding=[1, 1])
    prog = b.build([y])
    db = tmp_path / "t.db"
    report = cinn.tune(prog, trials=3, database=db, progress=False, fusion=False)
    convs = [t for t in report.tasks if t["kind"] == "out_fusible"]
    assert len(convs) == 1 and convs[0]["weight"] == 2
    capfd.readouterr()
    exe = cinn.compile(prog, database=db, cache=False, fusion=False)
    assert "does not replay" not in capfd.readouterr().err
    conv_groups = [g for g in exe.fusion_groups if "conv2d" in g["ops"]]
    assert [g["schedule"] for g in conv_groups] == ["tuned", "tuned"]
    import torch
    a = {"img": rng.standard_normal((1, 16, 56, 56), dtype=np.float32),
         "w1": rng.standard_normal((16, 16, 3, 3), dtype=np.float32) * 0.2,
         "w2": rng.standard_normal((16, 16, 3, 3), dtype=np.float32) * 0.2}
    t = {k: torch.from_numpy(v) for k, v in a.items()}
    want = torch.nn.functional.conv2d(torch.relu(torch.nn.functional.conv2d(t["img"], t["w1"], padding=1)),
                                      t["w2"], padding=1)
    np.testing.assert_allclose(exe(**a)[0], want.numpy(), rtol=1e-4, atol=1e-4)
