"""Helpers of the cinn.torch tests (a module, not a conftest.py: one here would shadow
tests/python/conftest.py for `from conftest import ...`)."""

import torch

import cinn.torch


def seeded(seed=20261123):
    """A seeded torch generator: every test sees the same random inputs."""
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def run_compiled(fn, *inputs, allow_fallback=False, **options):
    """fn compiled by cinn.torch and called under no_grad (the torch.fx path); returns
    (result, report, compiled). Unless allowed, every op must have been converted: a
    silent fallback to PyTorch would make a comparison with PyTorch meaningless."""
    compiled = cinn.torch.compile(fn, **options)
    with torch.no_grad():
        got = compiled(*inputs)
    report = compiled.explain()
    if not allow_fallback:
        assert report.fallbacks == [], str(report)
        assert report.regions, str(report)
    return got, report, compiled
