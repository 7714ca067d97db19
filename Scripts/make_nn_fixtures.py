#!/usr/bin/env python3
"""Writes Tests/TensorsTests/Fixtures/nn_ops.json: forward outputs and input gradients of conv2d,
pooling and batch norm over a grid of shapes (odd sizes, stride 2, padding, dilation 2, groups,
ceil_mode, count_include_pad), computed by PyTorch in float64 from float32-representable inputs.

Run: /tmp/torch-venv/bin/python Scripts/make_nn_fixtures.py
Same case format as make_tensor_fixtures.py.
"""
import json
import os

import torch

from op_fixtures import enc, record_case
import torch.nn.functional as F

torch.manual_seed(4321)
cases = []


def t(*shape):
    return (torch.rand(tuple(shape), dtype=torch.float64) * 4 - 2).float().double()


def case(name, op, fn, inputs, args=None, grad=True):
    record_case(cases, name, op, fn, inputs, args, grad)


conv_grid = [
    # (N, Cin, H, W, Cout, kH, kW, stride, padding, dilation, groups, bias)
    (2, 3, 7, 9, 4, 3, 3, 1, 1, 1, 1, True),
    (1, 3, 8, 8, 5, 3, 3, 2, 1, 1, 1, False),
    (2, 4, 9, 7, 6, 3, 3, 1, 2, 2, 1, True),
    (1, 4, 10, 11, 6, 3, 3, 2, 1, 1, 2, True),
    (2, 6, 5, 5, 6, 3, 3, 1, 1, 1, 6, False),   # depthwise
    (2, 5, 6, 7, 3, 1, 1, 1, 0, 1, 1, True),    # pointwise: no im2col
    (1, 4, 9, 9, 4, 1, 1, 2, 0, 1, 1, False),   # 1x1 stride 2 (im2col path)
    (1, 3, 11, 13, 2, 5, 4, 3, 2, 1, 1, True),  # rectangular kernel, stride 3
    (1, 2, 7, 7, 3, 7, 7, 2, 3, 1, 1, False),   # ResNet stem shape, small
]
for (n, cin, h, w, cout, kh, kw, s, p, d, g, bias) in conv_grid:
    name = f"conv2d n{n} c{cin} {h}x{w} -> {cout} k{kh}x{kw} s{s} p{p} d{d} g{g}{' bias' if bias else ''}"
    args = {"stride": s, "padding": p, "dilation": d, "groups": g}
    inputs = [t(n, cin, h, w), t(cout, cin // g, kh, kw)] + ([t(cout)] if bias else [])
    case(name, "conv2d", lambda x, wt, b=None: F.conv2d(x, wt, b, s, p, d, g), inputs, args)

pool_grid = [
    # (N, C, H, W, k, stride, padding, dilation, ceil)
    (2, 3, 7, 7, 2, 2, 0, 1, False),
    (1, 2, 7, 9, 3, 2, 1, 1, False),
    (1, 2, 7, 9, 3, 2, 1, 1, True),
    (1, 2, 8, 8, 3, 2, 0, 2, False),
    (2, 2, 6, 5, 2, 1, 1, 1, True),
    (1, 2, 31, 31, 3, 2, 1, 1, False),  # ResNet's max pool geometry
]
for (n, c, h, w, k, s, p, d, ceil) in pool_grid:
    args = {"kernel": k, "stride": s, "padding": p, "dilation": d, "ceilMode": ceil}
    x = t(n, c, h, w)
    case(f"max_pool2d {h}x{w} k{k} s{s} p{p} d{d} ceil={ceil}", "maxPool2d",
         lambda a: F.max_pool2d(a, k, s, p, d, ceil_mode=ceil), [x], args)
    if d == 1:
        for cip in (True, False):
            a2 = dict(args, countIncludePad=cip)
            case(f"avg_pool2d {h}x{w} k{k} s{s} p{p} ceil={ceil} cip={cip}", "avgPool2d",
                 lambda a: F.avg_pool2d(a, k, s, p, ceil_mode=ceil, count_include_pad=cip), [x], a2)

for (h, w, oh, ow) in [(7, 7, 1, 1), (13, 13, 6, 6), (5, 5, 7, 7), (10, 9, 3, 4), (14, 14, 7, 7)]:
    case(f"adaptive_avg_pool2d {h}x{w} -> {oh}x{ow}", "adaptiveAvgPool2d",
         lambda a: F.adaptive_avg_pool2d(a, (oh, ow)), [t(2, 3, h, w)], {"outH": oh, "outW": ow})

for shape in [(4, 3, 5, 5), (8, 6), (2, 4, 3, 7)]:
    c = shape[1]
    x, wt, b = t(*shape) * 1.5 + 0.3, t(c), t(c)
    rm, rv = t(c) * 0.1, t(c).abs() + 0.5
    base = {"runningMean": [float(v) for v in rm.tolist()], "runningVar": [float(v) for v in rv.tolist()],
            "momentum": 0.1, "eps": 1e-5}
    case(f"batch_norm train {list(shape)}", "batchNormTrain",
         lambda a, g_, b_: F.batch_norm(a, rm.clone(), rv.clone(), g_, b_, True, 0.1, 1e-5), [x, wt, b], base)
    case(f"batch_norm eval {list(shape)}", "batchNormEval",
         lambda a, g_, b_: F.batch_norm(a, rm, rv, g_, b_, False, 0.1, 1e-5), [x, wt, b], base)
    rm2, rv2 = rm.clone(), rv.clone()
    F.batch_norm(x, rm2, rv2, wt, b, True, 0.1, 1e-5)
    case(f"batch_norm running stats {list(shape)}", "batchNormRunningStats",
         lambda a: torch.cat([rm2, rv2]), [x], base, grad=False)

# Layer normalisation (issue 15): over the last dimensions, with and without affine parameters,
# and torchvision's LayerNorm2d (ConvNeXt: channels of each pixel, through two permutes).
for shape, k in (((4, 6), 1), ((2, 3, 5), 1), ((2, 3, 4), 2), ((3, 7), 1)):
    x = t(*shape) * 2 + 0.5
    ns = list(shape[-k:])
    wt, b = t(*ns) + 1, t(*ns)
    case(f"layer_norm {list(shape)} over {ns}", "layerNorm", lambda a, g_, b_: F.layer_norm(a, ns, g_, b_, 1e-5),
         [x, wt, b], {"normalizedShape": ns, "eps": 1e-5})
    case(f"layer_norm plain {list(shape)} over {ns}", "layerNorm", lambda a: F.layer_norm(a, ns, None, None, 1e-5),
         [x], {"normalizedShape": ns, "eps": 1e-5})
for shape in ((2, 5, 3, 4), (1, 8, 1, 1), (3, 4, 2, 7)):
    x = t(*shape) * 1.5 - 0.2
    c = shape[1]
    wt, b = t(c) + 1, t(c)
    case(f"layer_norm2d {list(shape)}", "layerNorm2d",
         lambda a, g_, b_: F.layer_norm(a.permute(0, 2, 3, 1), (c,), g_, b_, 1e-6).permute(0, 3, 1, 2),
         [x, wt, b], {"eps": 1e-6})

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "TensorsTests", "Fixtures", "nn_ops.json")
with open(out, "w") as f:
    json.dump({"generator": f"torch {torch.__version__}", "cases": cases}, f, separators=(",", ":"))
print(f"wrote {len(cases)} cases to {os.path.normpath(out)}")
