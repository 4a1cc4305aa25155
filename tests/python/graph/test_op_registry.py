"""The op registry as NetBuilder sees it: the op count, one generated method per op with
its inputs first and attributes after, documentation with a formula for every composite,
errors raised inside a decomposition naming the composite, and a forward test somewhere
under tests/python/graph for every op."""

import inspect
import os
import re

import pytest

import cinn

SCHEMAS = {s["name"]: s for s in cinn._cinn.op_schemas()}


def test_op_counts():
    primitives = [n for n, s in SCHEMAS.items() if not s["composite"]]
    assert len(primitives) == 48, sorted(primitives)  # the primitive set is closed
    assert len(SCHEMAS) >= 100


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_generated_method(name):
    s = SCHEMAS[name]
    m = getattr(cinn.NetBuilder, name)
    assert s["doc"], f"op '{name}' has no description"
    params = list(inspect.signature(m).parameters.values())[1:]
    names = [p.name for p in params]
    assert names == [i[0] for i in s["inputs"]] + [a[0] for a in s["attrs"]]
    for p, (_, _, optional) in zip(params, s["inputs"]):
        assert (p.default is None) == optional
    assert f"Op '{name}'" in m.__doc__


def test_errors_inside_a_decomposition_name_the_composite():
    b = cinn.NetBuilder("t")
    x = b.input([4, 5], "float32", "x")
    with pytest.raises(cinn.ShapeError, match=r"^op 'softmax': op 'reduce': axis 3 is out of range"):
        b.softmax(x, [3])
    # Nested composites name each level: mish -> softplus -> exp.
    with pytest.raises(cinn.DTypeError, match=r"^op 'mish': op 'softplus': op 'exp': .*floating"):
        b.mish(b.input([3], "int32", "i"))
    # Errors raised by a rule itself are not prefixed twice.
    with pytest.raises(cinn.ShapeError, match=r"^op 'split': section sizes"):
        b.split(x, [1, 1])


def test_every_op_has_a_test():
    here = os.path.dirname(os.path.abspath(__file__))
    text = "".join(open(os.path.join(here, f)).read() for f in os.listdir(here) if f.endswith(".py"))
    untested = [n for n in SCHEMAS if not re.search(rf"\.{n}\(|\"{n}\"", text)]
    assert not untested, untested
