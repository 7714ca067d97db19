#!/usr/bin/env python3
"""Writes Tests/ModelsTests/Fixtures/: the state-dict key/shape list of every torchvision
architecture SwiftVision builds (architectures.json), and logits of several architectures whose
weights are filled by a closed formula both sides can compute (logits.json), so full-size models
can be compared without committing their weights or sharing a random generator.

Formula (the k-th state-dict entry, element i, s = sin(0.37·i + 1.3·k)):
  rank ≥ 2 weights: s / sqrt(fan_in)        1-D "weight": 1 + 0.1·s      "bias": 0.1·s
  running_mean: 0.1·s    running_var: 0.5 + 0.5·s²    num_batches_tracked: 0
Input element i of the flattened batch: sin(0.1·i).

Each family writes its own pair of files (architectures-<family>.json, logits-<family>.json; the
first family writes architectures.json and logits.json), so adding a family leaves the others'
fixtures byte-identical. The tests read every such file.

Run: /tmp/torch-venv/bin/python Scripts/make_model_fixtures.py [FAMILY ...]   (default: all)
"""
import json
import math
import os
import sys

import torch
import torchvision.models as tvm

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "ModelsTests", "Fixtures")
# family → (builder names for the key/shape lists, [(builder, input size)] for the logits).
FAMILIES = {
    "": (["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d",
          "wide_resnet50_2", "wide_resnet101_2", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn",
          "vgg16_bn", "vgg19_bn", "alexnet", "mobilenet_v2"],
         [("resnet18", 64), ("resnet50", 64), ("resnext50_32x4d", 64), ("wide_resnet50_2", 48),
          ("vgg11_bn", 32), ("alexnet", 64), ("mobilenet_v2", 64)]),
    "mobile": (["mobilenet_v3_large", "mobilenet_v3_small", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
                "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3", "efficientnet_b4",
                "efficientnet_b5", "efficientnet_b6", "efficientnet_b7", "efficientnet_v2_s", "efficientnet_v2_m",
                "efficientnet_v2_l"],
               [("mobilenet_v3_small", 32), ("mobilenet_v3_large", 64), ("mnasnet1_0", 64), ("mnasnet0_5", 32),
                ("efficientnet_b0", 64), ("efficientnet_b3", 32), ("efficientnet_v2_s", 64)]),
}


def formula_fill(model):
    sd = model.state_dict()
    for k, (name, t) in enumerate(sd.items()):
        n = t.numel()
        s = torch.sin(0.37 * torch.arange(n, dtype=torch.float64) + 1.3 * k)
        leaf = name.rsplit(".", 1)[-1]
        if leaf == "num_batches_tracked":
            v = torch.zeros(n, dtype=torch.float64)
        elif t.dim() >= 2:
            fan_in = t.shape[1] * math.prod(t.shape[2:])
            v = s / math.sqrt(fan_in)
        elif leaf == "weight":
            v = 1 + 0.1 * s
        elif leaf == "running_var":
            v = 0.5 + 0.5 * s * s
        else:  # bias, running_mean
            v = 0.1 * s
        t.copy_(v.reshape(t.shape).to(t.dtype))
    model.load_state_dict(sd)


def write_family(family, names, logit_cases):
    suffix = f"-{family}" if family else ""
    archs = {}
    with torch.device("meta"):
        for name in names:
            m = getattr(tvm, name)()
            archs[name] = [[k, list(v.shape)] for k, v in m.state_dict().items()]
    with open(os.path.join(OUT, f"architectures{suffix}.json"), "w") as f:
        json.dump(archs, f, separators=(",", ":"))

    logits = []
    for name, size in logit_cases:
        torch.manual_seed(0)
        m = getattr(tvm, name)().eval()
        formula_fill(m)
        n = 2 * 3 * size * size
        x = torch.sin(0.1 * torch.arange(n, dtype=torch.float64)).float().reshape(2, 3, size, size)
        with torch.no_grad():
            y = m(x)
        logits.append({"model": name, "inputSize": size, "logits": [float(f"{v:.9g}") for v in y.reshape(-1).tolist()]})
    with open(os.path.join(OUT, f"logits{suffix}.json"), "w") as f:
        json.dump({"generator": f"torch {torch.__version__}", "cases": logits}, f, separators=(",", ":"))


def main():
    os.makedirs(OUT, exist_ok=True)
    families = sys.argv[1:] or list(FAMILIES)
    for family in families:
        names, logit_cases = FAMILIES["" if family == "base" else family]
        write_family("" if family == "base" else family, names, logit_cases)
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
