"""cinn.grad rejects what it cannot differentiate with a clear cinn error (issue 6,
acceptance 4)."""

import pytest

import cinn


def program():
    b = cinn.NetBuilder("g")
    x = b.input([4, 3], "float32", "x")
    w = b.input([3, 2], "float32", "w")
    labels = b.input([4], "int64", "labels")
    y = b.matmul(x, w)
    loss = b.cross_entropy(y, labels)
    return b, x, w, labels, y, loss


def test_wrt_an_intermediate_value():
    b, x, w, labels, y, loss = program()
    prog = b.build([loss, y])
    with pytest.raises(cinn.Error, match=r"is not an input of the program; gradients are taken with respect to program inputs"):
        cinn.grad(prog, loss, [y])


def test_wrt_an_unknown_name():
    b, x, w, labels, y, loss = program()
    with pytest.raises(cinn.Error, match=r"no input 'bias'; its inputs are: x, w, labels"):
        cinn.grad(b.build([loss]), loss, ["bias"])


def test_non_scalar_loss():
    b, x, w, labels, y, loss = program()
    prog = b.build([y])
    with pytest.raises(cinn.ShapeError, match=r"the loss must be a scalar \(one element\), got float32\[4, 2\]; reduce it first"):
        cinn.grad(prog, y, [w])


def test_integer_loss():
    b, x, w, labels, y, loss = program()
    s = b.reduce(labels, "sum")
    with pytest.raises(cinn.DTypeError, match=r"the loss must be a floating-point scalar, got int64\[\]"):
        cinn.grad(b.build([s]), s, [w])


def test_non_float_parameter():
    b, x, w, labels, y, loss = program()
    with pytest.raises(cinn.DTypeError, match=r"cannot differentiate with respect to input 'labels' of dtype int64"):
        cinn.grad(b.build([loss]), loss, [labels])


def test_loss_not_an_output():
    b, x, w, labels, y, loss = program()
    prog = b.build([y])
    with pytest.raises(cinn.Error, match=r"the loss 'v\d+' is not an output of the program; pass it to NetBuilder.build"):
        cinn.grad(prog, loss, [w])


def test_wrt_from_another_builder_and_bad_types():
    b, x, w, labels, y, loss = program()
    other = cinn.NetBuilder("other").input([3, 2], "float32", "w2")
    prog = b.build([loss])
    with pytest.raises(cinn.Error, match=r"'w2' \(float32\[3, 2\]\) is not an input of the program"):
        cinn.grad(prog, loss, [other])
    with pytest.raises(cinn.Error, match="wrt must be a list"):
        cinn.grad(prog, loss, w)
    with pytest.raises(cinn.Error, match="loss must be a cinn.Value or an output index, got str"):
        cinn.grad(prog, "loss", [w])
    with pytest.raises(cinn.Error, match="loss output index 3 is out of range"):
        cinn.grad(prog, 3, [w])


def test_loss_by_output_index_and_names():
    b, x, w, labels, y, loss = program()
    prog = b.build([y, loss])
    g = cinn.grad(prog, 1, ["w", x])
    assert [o[1] for o in g.outputs] == [[], [3, 2], [4, 3], [4, 2]]
