#!/usr/bin/env python3
"""Writes Tests/TensorsTests/Fixtures/ops.json: inputs, outputs and input gradients of every tensor
op, computed by PyTorch in float64 and rounded to float32, including broadcasting cases.

Run: /tmp/torch-venv/bin/python Scripts/make_tensor_fixtures.py
Each case: op name, args, inputs (shape + data), the output, a seeded upstream gradient, and the
gradient of every input that requires one.
"""
import json
import os

import torch

from op_fixtures import enc, record_case

torch.manual_seed(1234)
cases = []


def t(*shape, low=-2.0, high=2.0, positive=False):
    x = torch.rand(tuple(shape), dtype=torch.float64) * (high - low) + low
    if positive:
        x = x.abs() + 0.5
    return x.float().double()  # exactly representable in float32


def separated(sa, sb):
    """Inputs for maximum/minimum with no near-ties, so finite differences see a smooth function."""
    while True:
        a, b = t(*sa), t(*sb)
        if (a - b).abs().min() > 0.05:
            return [a, b]


def case(name, op, fn, inputs, args=None, grad=True):
    record_case(cases, name, op, fn, inputs, args, grad)


# Binary ops with broadcasting.
shapes = [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1, 3), (2, 1)), ((2, 3, 4, 5), (1, 3, 1, 1)), ((5,), ()), ((), (3, 2))]
for sa, sb in shapes:
    tag = f"{list(sa)}x{list(sb)}"
    case(f"add {tag}", "add", torch.add, [t(*sa), t(*sb)])
    case(f"sub {tag}", "sub", torch.sub, [t(*sa), t(*sb)])
    case(f"mul {tag}", "mul", torch.mul, [t(*sa), t(*sb)])
    case(f"div {tag}", "div", torch.div, [t(*sa), t(*sb, positive=True)])
    case(f"maximum {tag}", "maximum", torch.maximum, separated(sa, sb))
    case(f"minimum {tag}", "minimum", torch.minimum, separated(sa, sb))
    case(f"pow {tag}", "pow", torch.pow, [t(*sa, positive=True), t(*sb)])
tie = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
case("maximum ties", "maximum", torch.maximum, [tie, tie.clone()])

# Unary ops.
x = t(3, 4)
case("neg", "neg", torch.neg, [x])
case("exp", "exp", torch.exp, [x])
case("log", "log", torch.log, [t(3, 4, positive=True)])
case("sqrt", "sqrt", torch.sqrt, [t(3, 4, positive=True)])
case("abs", "abs", torch.abs, [x])
case("relu", "relu", torch.relu, [x])
case("sigmoid", "sigmoid", torch.sigmoid, [x])
case("tanh", "tanh", torch.tanh, [x])
case("clamp", "clamp", lambda a: a.clamp(-0.5, 0.7), [x], {"min": -0.5, "max": 0.7})
case("pow scalar 3", "powScalar", lambda a: a.pow(3), [x], {"exponent": 3})
case("pow scalar 0.5", "powScalar", lambda a: a.pow(0.5), [t(3, 4, positive=True)], {"exponent": 0.5})
case("add scalar", "addScalar", lambda a: a + 1.5, [x], {"value": 1.5})
case("mul scalar", "mulScalar", lambda a: a * -2.5, [x], {"value": -2.5})

# Reductions.
y = t(2, 3, 4)
case("sum all", "sum", lambda a: a.sum(), [y], {"dims": []})
for dims in ([0], [1], [2], [-1], [0, 2], [1, 2]):
    for keep in (False, True):
        case(f"sum {dims} keep={keep}", "sum", lambda a: a.sum(dim=dims, keepdim=keep), [y], {"dims": dims, "keepdim": keep})
        case(f"mean {dims} keep={keep}", "mean", lambda a: a.mean(dim=dims, keepdim=keep), [y], {"dims": dims, "keepdim": keep})
        case(f"var {dims} keep={keep}", "var", lambda a: a.var(dim=dims, keepdim=keep), [y], {"dims": dims, "keepdim": keep, "correction": 1})
case("var all biased", "var", lambda a: a.var(correction=0), [y], {"dims": [], "keepdim": False, "correction": 0})
case("mean all", "mean", lambda a: a.mean(), [y], {"dims": []})
for dim in (0, 1, 2):
    case(f"max dim {dim}", "maxDim", lambda a: a.max(dim=dim)[0], [y], {"dim": dim})
    case(f"min dim {dim}", "minDim", lambda a: a.min(dim=dim)[0], [y], {"dim": dim})
    case(f"argmax dim {dim}", "argmaxDim", lambda a: a.argmax(dim=dim).double(), [y], {"dim": dim}, grad=False)
case("max all", "max", lambda a: a.max(), [y])

# Softmax.
for dim in (0, 1, -1):
    case(f"softmax {dim}", "softmax", lambda a: a.softmax(dim=dim), [y * 3], {"dim": dim})
    case(f"log_softmax {dim}", "logSoftmax", lambda a: a.log_softmax(dim=dim), [y * 3], {"dim": dim})
big = torch.tensor([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]], dtype=torch.float64)
case("softmax large", "softmax", lambda a: a.softmax(dim=1), [big], {"dim": 1})
case("log_softmax large", "logSoftmax", lambda a: a.log_softmax(dim=1), [big], {"dim": 1})

# Matrix products.
case("matmul 2d", "matmul", torch.matmul, [t(3, 4), t(4, 5)])
case("matmul batched x 2d", "matmul", torch.matmul, [t(2, 3, 4), t(4, 5)])
case("matmul 2d x batched", "matmul", torch.matmul, [t(3, 4), t(2, 4, 5)])
case("matmul broadcast batch", "matmul", torch.matmul, [t(2, 1, 3, 4), t(3, 4, 2)])
case("matmul vec x mat", "matmul", torch.matmul, [t(4), t(4, 5)])
case("matmul mat x vec", "matmul", torch.matmul, [t(3, 4), t(4)])
case("matmul dot", "matmul", torch.matmul, [t(4), t(4)])
case("bmm", "bmm", torch.bmm, [t(3, 2, 4), t(3, 4, 5)])
case("linear bias", "linear", torch.nn.functional.linear, [t(5, 4), t(3, 4), t(3)])
case("linear 3d input", "linear", torch.nn.functional.linear, [t(2, 5, 4), t(3, 4), t(3)])
case("linear no bias", "linearNoBias", torch.nn.functional.linear, [t(5, 4), t(3, 4)])

# Shape ops.
z = t(2, 3, 4)
case("permute", "permute", lambda a: a.permute(2, 0, 1), [z], {"order": [2, 0, 1]})
case("transpose", "transpose", lambda a: a.transpose(0, 2), [z], {"dim0": 0, "dim1": 2})
case("narrow dim 1", "narrow", lambda a: a.narrow(1, 1, 2), [z], {"dim": 1, "start": 1, "length": 2})
case("narrow dim 0", "narrow", lambda a: a.narrow(0, 1, 1), [z], {"dim": 0, "start": 1, "length": 1})
case("cat dim 1", "cat", lambda a, b: torch.cat([a, b], 1), [t(2, 3, 4), t(2, 2, 4)], {"dim": 1})
case("cat dim 0", "cat", lambda a, b: torch.cat([a, b], 0), [t(2, 3), t(1, 3)], {"dim": 0})
case("stack dim 1", "stack", lambda a, b: torch.stack([a, b], 1), [t(2, 3), t(2, 3)], {"dim": 1})
case("reshape", "reshape", lambda a: a.reshape(4, -1), [z], {"shape": [4, -1]})
case("expand", "expand", lambda a: a.expand(2, 3, 4), [t(3, 1)], {"shape": [2, 3, 4]})
case("flatten", "flatten", lambda a: a.flatten(1), [z], {"startDim": 1})

# Activations of the mobile and efficient families (issue 15), on random inputs and on their kinks
# (which side of each gets which slope), and far out where exp over- or underflows.
F = torch.nn.functional
a = t(4, 5, low=-5.0, high=5.0)
kinks = torch.tensor([-8.0, -6.0, -3.0, -2.5, -1.0, 0.0, 0.5, 2.0, 3.0, 4.0, 6.0, 7.0, 30.0, -30.0, 100.0, -100.0],
                     dtype=torch.float64)
for tag, inp in (("", a), (" kinks", kinks)):
    case(f"silu{tag}", "silu", F.silu, [inp])
    case(f"hardswish{tag}", "hardswish", F.hardswish, [inp])
    case(f"hardsigmoid{tag}", "hardsigmoid", F.hardsigmoid, [inp])
    case(f"relu6{tag}", "relu6", F.relu6, [inp])
    case(f"gelu{tag}", "gelu", F.gelu, [inp], {"approximate": "none"})
    case(f"gelu tanh{tag}", "gelu", lambda v: F.gelu(v, approximate="tanh"), [inp], {"approximate": "tanh"})

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "TensorsTests", "Fixtures", "ops.json")
with open(out, "w") as f:
    json.dump({"generator": f"torch {torch.__version__}", "cases": cases}, f, separators=(",", ":"))
print(f"wrote {len(cases)} cases to {os.path.normpath(out)}")
