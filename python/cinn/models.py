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


def bert_layer(b, batch=1, seq=128, hidden=768, heads=12, ffn=3072):
    """A BERT-base encoder layer (post-norm): multi-head self-attention, residual,
    layer_norm, GELU feed-forward, residual, layer_norm. Returns (output, params)."""
    p = _Params(b)
    d = hidden // heads
    x = p("input", [batch, seq, hidden], "input")

    def linear(v, name, cin, cout):
        return b.linear(v, p(f"{name}.weight", [cout, cin]), p(f"{name}.bias", [cout], "bias"))

    def split_heads(v):
        return b.transpose(b.reshape(v, [batch, seq, heads, d]), [0, 2, 1, 3])

    q = split_heads(linear(x, "attn.q", hidden, hidden))
    k = split_heads(linear(x, "attn.k", hidden, hidden))
    v = split_heads(linear(x, "attn.v", hidden, hidden))
    a = b.scaled_dot_product_attention(q, k, v)
    a = b.reshape(b.transpose(a, [0, 2, 1, 3]), [batch, seq, hidden])
    x1 = b.layer_norm(b.add(x, linear(a, "attn.out", hidden, hidden)),
                      p("ln1.weight", [hidden], "scale"), p("ln1.bias", [hidden], "bias"), epsilon=1e-12)
    f = linear(b.gelu(linear(x1, "ffn.in", hidden, ffn)), "ffn.out", ffn, hidden)
    y = b.layer_norm(b.add(x1, f), p("ln2.weight", [hidden], "scale"), p("ln2.bias", [hidden], "bias"),
                     epsilon=1e-12)
    return y, p.shapes


def bert_layer_torch(weights, batch=1, seq=128, hidden=768, heads=12, ffn=3072):
    import torch
    import torch.nn.functional as F
    t = {k: torch.from_numpy(v) for k, v in weights.items()}
    d = hidden // heads

    def linear(v, name):
        return F.linear(v, t[f"{name}.weight"], t[f"{name}.bias"])

    def split_heads(v):
        return v.reshape(batch, seq, heads, d).transpose(1, 2)

    def forward():
        x = t["input"]
        q, k, v = (split_heads(linear(x, f"attn.{n}")) for n in "qkv")
        # softmax(q k^T / sqrt(d)) v (torch 1.13 has no F.scaled_dot_product_attention)
        att = torch.softmax(q @ k.transpose(-1, -2) / d ** 0.5, dim=-1)
        a = (att @ v).transpose(1, 2).reshape(batch, seq, hidden)
        x1 = F.layer_norm(x + linear(a, "attn.out"), (hidden,), t["ln1.weight"], t["ln1.bias"], 1e-12)
        f = linear(F.gelu(linear(x1, "ffn.in")), "ffn.out")
        return F.layer_norm(x1 + f, (hidden,), t["ln2.weight"], t["ln2.bias"], 1e-12)
    return forward


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
