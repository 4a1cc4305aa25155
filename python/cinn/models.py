"""Two demo models written with :class:`cinn.NetBuilder`, each with a PyTorch reference on
the same weights: a ResNet-18-style CNN and a BERT-style transformer encoder layer.

Weights are program inputs (named like the PyTorch parameters they stand for), so one
compiled executable serves any weights::

    b = cinn.NetBuilder("resnet18")
    x, params = resnet18(b, batch=1, image=224)
    exe = cinn.compile(b.build([x]))
    weights = random_weights(params, seed=0)
    (logits,) = exe(**weights)
    ref = resnet18_torch(weights)
"""

import numpy as np

# ---------------------------------------------------------------- ResNet-18


class _Params:
    """Declares program inputs and remembers their shapes (for random_weights)."""

    def __init__(self, b):
        self.b = b
        self.shapes = {}

    def __call__(self, name, shape, kind="weight"):
        self.shapes[name] = (tuple(shape), kind)
        return self.b.input(list(shape), "float32", name)


def _conv_bn(p, x, name, cin, cout, k, stride, pad, relu=True):
    b = p.b
    w = p(f"{name}.conv.weight", [cout, cin, k, k])
    y = b.conv2d(x, w, stride=[stride, stride], padding=[pad, pad])
    y = b.batch_norm(y, p(f"{name}.bn.weight", [cout], "scale"), p(f"{name}.bn.bias", [cout], "bias"),
                     p(f"{name}.bn.running_mean", [cout], "bias"),
                     p(f"{name}.bn.running_var", [cout], "var"), epsilon=1e-5)
    return b.relu(y) if relu else y


def resnet18(b, batch=1, image=224, classes=1000):
    """ResNet-18 (torchvision's layout: conv-bn-relu, basic blocks [2, 2, 2, 2], global
    average pool, fully connected). Returns (logits, params)."""
    p = _Params(b)
    x = p("input", [batch, 3, image, image], "input")
    y = _conv_bn(p, x, "stem", 3, 64, 7, 2, 3)
    y = b.max_pool2d(y, kernel_size=[3, 3], stride=[2, 2], padding=[1, 1])
    cin = 64
    for stage, cout in enumerate([64, 128, 256, 512]):
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 else 1
            name = f"layer{stage + 1}.{block}"
            out = _conv_bn(p, y, name + ".a", cin, cout, 3, stride, 1)
            out = _conv_bn(p, out, name + ".b", cout, cout, 3, 1, 1, relu=False)
            short = y
            if stride != 1 or cin != cout:
                short = _conv_bn(p, y, name + ".down", cin, cout, 1, stride, 0, relu=False)
            y = b.relu(b.add(out, short))
            cin = cout
    y = b.flatten(b.adaptive_avg_pool2d(y, output_size=[1, 1]), start_axis=1)
    y = b.linear(y, p("fc.weight", [classes, 512]), p("fc.bias", [classes], "bias"))
    return y, p.shapes


def resnet18_torch(weights, batch=1, image=224, classes=1000):
    import torch
    import torch.nn.functional as F
    t = {k: torch.from_numpy(v) for k, v in weights.items()}

    def conv_bn(x, name, stride, pad, relu=True):
        y = F.conv2d(x, t[f"{name}.conv.weight"], stride=stride, padding=pad)
        y = F.batch_norm(y, t[f"{name}.bn.running_mean"], t[f"{name}.bn.running_var"],
                         t[f"{name}.bn.weight"], t[f"{name}.bn.bias"], training=False, eps=1e-5)
        return F.relu(y) if relu else y

    def forward():
        y = conv_bn(t["input"], "stem", 2, 3)
        y = F.max_pool2d(y, 3, 2, 1)
        cin = 64
        for stage, cout in enumerate([64, 128, 256, 512]):
            for block in range(2):
                stride = 2 if stage > 0 and block == 0 else 1
                name = f"layer{stage + 1}.{block}"
                out = conv_bn(conv_bn(y, name + ".a", stride, 1), name + ".b", 1, 1, relu=False)
                short = y
                if stride != 1 or cin != cout:
                    short = conv_bn(y, name + ".down", stride, 0, relu=False)
                y = F.relu(out + short)
                cin = cout
        y = torch.flatten(F.adaptive_avg_pool2d(y, 1), 1)
        return F.linear(y, t["fc.weight"], t["fc.bias"])
    return forward


# ---------------------------------------------------------------- BERT layer

# The encoder layer's values by role, with the PyTorch-style names bert_layer gives them
# (in the order the layer uses them).
_ENCODER_ROLES = {
    "wq": "attn.q.weight", "bq": "attn.q.bias", "wk": "attn.k.weight", "bk": "attn.k.bias",
    "wv": "attn.v.weight", "bv": "attn.v.bias", "wo": "attn.out.weight", "bo": "attn.out.bias",
    "ln1_g": "ln1.weight", "ln1_b": "ln1.bias", "w_ff1": "ffn.in.weight", "b_ff1": "ffn.in.bias",
    "w_ff2": "ffn.out.weight", "b_ff2": "ffn.out.bias", "ln2_g": "ln2.weight", "ln2_b": "ln2.bias",
}


def encoder_layer(b, v, heads, epsilon=1e-5):
    """A post-norm transformer encoder layer (torch.nn.TransformerEncoderLayer with GELU,
    no dropout): x + attention -> layer_norm -> + GELU MLP -> layer_norm. ``v`` maps the
    roles ``x`` ([batch, seq, hidden]) and those of ``_ENCODER_ROLES`` (wq, bq, ..., ln2_b:
    weights [out, in] as in F.linear) to NetBuilder values."""
    x = v["x"]
    batch, seq, hidden = x.shape
    d = hidden // heads

    def split_heads(t):
        return b.transpose(b.reshape(t, [batch, seq, heads, d]), [0, 2, 1, 3])

    q, k, val = (split_heads(b.linear(x, v["w" + n], v["b" + n])) for n in "qkv")
    a = b.reshape(b.transpose(b.scaled_dot_product_attention(q, k, val), [0, 2, 1, 3]), [batch, seq, hidden])
    h = b.layer_norm(b.add(x, b.linear(a, v["wo"], v["bo"])), v["ln1_g"], v["ln1_b"], epsilon=epsilon)
    f = b.linear(b.gelu(b.linear(h, v["w_ff1"], v["b_ff1"])), v["w_ff2"], v["b_ff2"])
    return b.layer_norm(b.add(h, f), v["ln2_g"], v["ln2_b"], epsilon=epsilon)


def encoder_layer_torch(v, heads, epsilon=1e-5):
    """encoder_layer in PyTorch, ``v`` mapping the same roles to tensors."""
    import torch
    import torch.nn.functional as F
    x = v["x"]
    batch, seq, hidden = x.shape
    d = hidden // heads

    def split_heads(t):
        return t.reshape(batch, seq, heads, d).transpose(1, 2)

    q, k, val = (split_heads(F.linear(x, v["w" + n], v["b" + n])) for n in "qkv")
    # softmax(q k^T / sqrt(d)) v (torch 1.13 has no F.scaled_dot_product_attention)
    att = torch.softmax(q @ k.transpose(-1, -2) / d ** 0.5, dim=-1)
    a = (att @ val).transpose(1, 2).reshape(batch, seq, hidden)
    h = F.layer_norm(x + F.linear(a, v["wo"], v["bo"]), (hidden,), v["ln1_g"], v["ln1_b"], epsilon)
    f = F.linear(F.gelu(F.linear(h, v["w_ff1"], v["b_ff1"])), v["w_ff2"], v["b_ff2"])
    return F.layer_norm(h + f, (hidden,), v["ln2_g"], v["ln2_b"], epsilon)


def _encoder_shapes(hidden, ffn):
    shapes = {}
    for n in "qkvo":
        shapes["w" + n], shapes["b" + n] = ([hidden, hidden], "weight"), ([hidden], "bias")
    shapes.update({"ln1_g": ([hidden], "scale"), "ln1_b": ([hidden], "bias"),
                   "w_ff1": ([ffn, hidden], "weight"), "b_ff1": ([ffn], "bias"),
                   "w_ff2": ([hidden, ffn], "weight"), "b_ff2": ([hidden], "bias"),
                   "ln2_g": ([hidden], "scale"), "ln2_b": ([hidden], "bias")})
    return shapes


def bert_layer(b, batch=1, seq=128, hidden=768, heads=12, ffn=3072):
    """A BERT-base encoder layer (post-norm): multi-head self-attention, residual,
    layer_norm, GELU feed-forward, residual, layer_norm. Returns (output, params)."""
    p = _Params(b)
    v = {"x": p("input", [batch, seq, hidden], "input")}
    shapes = _encoder_shapes(hidden, ffn)
    for role, name in _ENCODER_ROLES.items():
        v[role] = p(name, *shapes[role])
    return encoder_layer(b, v, heads, epsilon=1e-12), p.shapes


def bert_layer_torch(weights, batch=1, seq=128, hidden=768, heads=12, ffn=3072):
    """bert_layer's PyTorch forward (a function) on ``weights``; the sizes are bert_layer's
    arguments, taken for symmetry (the weights carry them)."""
    import torch
    v = {role: torch.from_numpy(weights[name]) for role, name in _ENCODER_ROLES.items()}
    v["x"] = torch.from_numpy(weights["input"])
    return lambda: encoder_layer_torch(v, heads, epsilon=1e-12)


def random_weights(params, seed=0):
    """Random inputs for a model's params: He-scaled weights, small biases, batch-norm
    variances in [0.5, 1.5], normal inputs."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, (shape, kind) in params.items():
        if kind == "weight":
            fan_in = int(np.prod(shape[1:]))
            v = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
        elif kind == "scale":
            v = rng.uniform(0.5, 1.5, shape)
        elif kind == "var":
            v = rng.uniform(0.5, 1.5, shape)
        elif kind == "bias":
            v = rng.standard_normal(shape) * 0.1
        else:
            v = rng.standard_normal(shape)
        out[name] = v.astype("float32")
    return out
