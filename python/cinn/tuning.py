"""Auto-tuning: :func:`tune` measures schedules of a program's kernels into a database that
:func:`cinn.compile` reads (``database=...``). See ``docs/tuning.md``."""
import os
import sys

from . import _cinn
from .frontend import _options


class TuneReport:
    """What :func:`tune` did: ``tasks`` (one dict per distinct kernel: kernel, key, kind,
    weight (kernels of the program that are this task), candidates (distinct schedules in
    its search space: 1 when the backend has no knobs for it, -1 when the budget ended
    before the task was explored; for a design space, those drawn so far), measured,
    default_seconds (the default schedule; for a design space, its first draw),
    best_seconds, best_params (knob values, or a design space's decisions), error) and
    ``trials`` (measurements made by this call). ``str(report)`` is a table."""

    def __init__(self, tasks, trials, database):
        self.tasks = tasks
        self.trials = trials
        self.database = database

    def speedup(self):
        """Estimated speedup of the measured tasks over their baselines, from kernels timed
        alone: the sum over them of weight x default time, over weight x best time."""
        d = sum(t["weight"] * t["default_seconds"] for t in self.tasks if t["default_seconds"] > 0)
        b = sum(t["weight"] * t["best_seconds"] for t in self.tasks if t["default_seconds"] > 0)
        return d / b if b > 0 else 1.0

    def __str__(self):
        rows = [f"{'kernel':40s} {'kind':11s} {'x':>2s} {'space':>5s} {'meas':>4s} "
                f"{'default ms':>10s} {'best ms':>9s}  best knobs / decisions"]
        for t in self.tasks:
            if t["candidates"] == 1 and not t["error"]:
                continue
            space = "?" if t["candidates"] < 0 else str(t["candidates"])
            rows.append(f"{t['kernel'][:40]:40s} {t['kind']:11s} {t['weight']:2d} {space:>5s} "
                        f"{t['measured']:4d} {t['default_seconds'] * 1e3:10.3f} {t['best_seconds'] * 1e3:9.3f}  "
                        f"{t['best_params'] or '(default)'}{'  error: ' + t['error'][:60] if t['error'] else ''}")
        untuned = sum(1 for t in self.tasks if t["candidates"] == 1 and not t["error"])
        rows.append(f"{self.trials} measurements into {self.database}; {untuned} kernel(s) without knobs "
                    f"keep the default schedule; estimated speedup of the tuned kernels {self.speedup():.2f}x")
        return "\n".join(rows)

    __repr__ = __str__


def _progress_callback(progress, trials):
    """A tqdm bar on stderr (plain lines without tqdm), and its callback; (None, None) when
    ``progress`` is off."""
    if not progress:
        return None, None
    try:
        from tqdm import tqdm  # noqa: PLC0415
    except ImportError:
        def plain(done, total, kernel, seconds):
            print(f"tune: {done}/{total} {kernel} {seconds * 1e3:.3f} ms", file=sys.stderr)
        return None, plain
    bar = tqdm(total=trials, desc="tune", unit="trial", file=sys.stderr, leave=True)

    def update(done, total, kernel, seconds):
        bar.set_postfix_str(kernel[:30], refresh=False)
        bar.update(done - bar.n)
    return bar, update


def _check_counts(trials, batch):
    if not isinstance(trials, int) or trials < 1:
        raise _cinn.Error(f"tune: trials must be a positive integer, got {trials!r}")
    if not isinstance(batch, int) or batch < 1:
        raise _cinn.Error(f"tune: batch must be a positive integer, got {batch!r}")


def tune(program, target=None, trials=64, database=None, batch=8, seed=0, *, progress=True, options=None,
         **fields):
    """Tunes the kernels of ``program`` for ``target`` (default: the host x86 CPU) and records
    every measurement in the SQLite ``database`` (created when missing; default: the
    ``database`` of ``options``, else ``"cinn_tuning.db"``). Returns a :class:`TuneReport`.

    Each distinct kernel is a task; its candidates are the schedules the backend's rules make
    from the values of its tuning knobs (:func:`cinn.tuning_knobs`). The default schedules
    are measured first, then rounds of ``batch`` candidates of the task that costs the most,
    ranked by an XGBoost cost model, until ``trials`` measurements are made. Kernels run in
    this process on random inputs. A second call continues: schedules already in the
    database are not measured again. Compile with ``cinn.compile(program, database=...)`` to
    use the results. ``progress`` shows a progress bar on stderr.

    ``options`` and ``fields`` are :func:`cinn.compile`'s, and must be those the program
    will be compiled with: ``fusion``, ``fold_constants``, ``opt_level`` and
    ``precise_math`` decide which kernels there are and how they are built, so that one
    ``CompileOptions`` serves ``tune`` and then ``compile``. ``cache``, ``cache_dir``,
    ``dump_dir`` and ``schedule_params`` do not apply to tuning; a ``database`` given both
    here and in ``options`` must be the same file.
    """
    _check_counts(trials, batch)
    options = _options(options, fields, "tune")
    if database is None:
        database = options.database or "cinn_tuning.db"
    elif options.database is not None and os.path.abspath(os.fspath(database)) != os.path.abspath(options.database):
        raise _cinn.Error(f"tune: database={os.fspath(database)!r} but options.database={options.database!r}; "
                          "give one of them")
    database = os.fspath(database)
    bar, callback = _progress_callback(progress, trials)
    try:
        tasks, made = _cinn.tune(program, target, database, trials, batch, seed, options, callback)
    finally:
        if bar is not None:
            bar.close()
    return TuneReport(tasks, made, database)


def tune_kernel(func, space, target=None, trials=64, database="cinn_tuning.db", batch=8, seed=0,
                progress=True):
    """Tunes one kernel, ``func`` (a :class:`cinn.LoweredFunc` from ``lang.lower``), over a
    design space, and records every measurement in the SQLite ``database``. Returns a
    :class:`TuneReport` with one task.

    ``space(sch)`` schedules a fresh :class:`cinn.Schedule` of ``func`` and decides what
    varies with the sampling primitives, e.g.
    ``sch.split(i, sch.sample_perfect_tile(i, 2, 32))``. The search draws schedules from it,
    measures them (its first draw is the baseline), ranks new ones with the
    XGBoost cost model and mutates the fastest (their decisions with one drawn again) until
    ``trials`` measurements are made. A :class:`cinn.ScheduleError` raised in ``space``
    drops that candidate; any other exception ends the tuning. The schedule given to
    ``space`` is valid only during the call: do not keep it. Build the result with
    ``cinn.build(func, target, database=...)``.
    """
    _check_counts(trials, batch)
    if not callable(space):
        raise _cinn.Error(f"tune_kernel: space must be a function of a cinn.Schedule, got {type(space).__name__}")
    database = os.fspath(database)
    bar, callback = _progress_callback(progress, trials)
    try:
        tasks, made = _cinn.tune_kernel(func, space, target, database, trials, batch, seed, callback)
    finally:
        if bar is not None:
            bar.close()
    return TuneReport(tasks, made, database)
