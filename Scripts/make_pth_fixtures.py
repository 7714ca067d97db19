#!/usr/bin/env python3
"""Writes Tests/ModelsTests/Fixtures/resnet18-views{.pth,-legacy.pth} and resnet18-views.json:
a complete torchvision resnet18 state dict saved by torch.save in the zip format and in the legacy
(pre-1.6) format, small enough to commit because every tensor is a strided view into one shared
storage of ~150 K floats (torch.save keeps views: one storage, per-tensor offset and strides), and
what torchvision computes with it:
  - logits for a 2×3×64×64 formula input (element i = sin(0.1·i)),
  - the top-5 indices and probabilities of `vision classify --topk 5` on Datasets/samples/*.jpg
    through torchvision's ImageNet preset (ResNet18_Weights.IMAGENET1K_V1.transforms()).
Weights are seeded random (torch.manual_seed(0)); BatchNorm running statistics are non-trivial
(mean ±0.1, var 0.5–1.0, affine weight ≈1, bias ±0.1).

Run: /tmp/torch-venv/bin/python Scripts/make_pth_fixtures.py
"""
import glob
import json
import math
import os

import torch
import torchvision
import torchvision.models as tvm
from PIL import Image

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures")
REGION = 12007  # elements per region of the shared storage (prime, so views do not line up)



def strides_for(shape):
    """Small, distinct strides so the largest view stays inside one region."""
    primes = [7, 5, 3, 1] if len(shape) == 4 else [11, 1]
    strides = primes[-len(shape):] if len(shape) <= 2 else primes
    extent = sum((n - 1) * s for n, s in zip(shape, strides))
    assert extent < REGION, (shape, strides, extent)
    return strides


def viewed_state_dict(model):
    sd = model.state_dict()
    torch.manual_seed(0)
    # One region per weight scale (1/sqrt(fan_in) for each fan-in), four for BatchNorm vectors.
    fan_ins = sorted({t.shape[1] * math.prod(t.shape[2:]) for t in sd.values() if t.dim() >= 2})
    regions = {f"w{f}": torch.randn(REGION) / math.sqrt(f) for f in fan_ins}
    u = lambda: torch.rand(REGION) * 2 - 1
    regions.update({"bn_weight": 1 + 0.1 * u(), "bn_bias": 0.1 * u(), "mean": 0.1 * u(),
                    "var": 0.75 + 0.25 * u(), "bias": 0.1 * u()})
    names = list(regions)
    storage = torch.cat([regions[n] for n in names])
    base = {n: i * REGION for i, n in enumerate(names)}
    out = {}
    for k, (name, t) in enumerate(sd.items()):
        leaf = name.rsplit(".", 1)[-1]
        if leaf == "num_batches_tracked":
            out[name] = torch.tensor(k, dtype=torch.long)
            continue
        if t.dim() >= 2:
            region = f"w{t.shape[1] * math.prod(t.shape[2:])}"
            strides = strides_for(t.shape)
        else:
            region = {"running_mean": "mean", "running_var": "var"}.get(leaf)
            if region is None:
                region = "bias" if name == "fc.bias" else ("bn_weight" if leaf == "weight" else "bn_bias")
            strides = [1]
        extent = sum((n - 1) * s for n, s in zip(t.shape, strides))
        offset = base[region] + (37 * k) % (REGION - extent)
        view = storage.as_strided(t.shape, strides, offset)
        out[name] = view
    return out, storage, base, names


def preset_batch(paths):
    tf = tvm.ResNet18_Weights.IMAGENET1K_V1.transforms()
    return torch.stack([tf(Image.open(p).convert("RGB")) for p in paths])


def main():
    model = tvm.resnet18().eval()
    sd, storage, base, names = viewed_state_dict(model)
    model.load_state_dict(sd)
    torch.save(sd, os.path.join(OUT, "resnet18-views.pth"))
    torch.save(sd, os.path.join(OUT, "resnet18-views-legacy.pth"), _use_new_zipfile_serialization=False)

    n = 2 * 3 * 64 * 64
    x = torch.sin(0.1 * torch.arange(n, dtype=torch.float64)).float().reshape(2, 3, 64, 64)
    samples = sorted(glob.glob(os.path.join(ROOT, "Datasets", "samples", "*.jpg")))
    with torch.no_grad():
        logits = model(x)
        probs = model(preset_batch(samples)).softmax(1)
    top = []
    for path, p in zip(samples, probs):
        values, indices = p.topk(5)
        top.append({"image": os.path.relpath(path, ROOT), "indices": indices.tolist(),
                    "probabilities": [float(f"{v:.9g}") for v in values.tolist()]})
    with open(os.path.join(OUT, "resnet18-views.json"), "w") as f:
        json.dump({"generator": f"torch {torch.__version__}, torchvision {torchvision.__version__}",
                   "inputSize": 64, "logits": [float(f"{v:.9g}") for v in logits.reshape(-1).tolist()],
                   "classify": top}, f, separators=(",", ":"))
    for t in top:
        print(t["image"], t["indices"], [round(v, 4) for v in t["probabilities"]])
    print("storage elements:", storage.numel(), "files:",
          [os.path.getsize(os.path.join(OUT, f)) for f in ("resnet18-views.pth", "resnet18-views-legacy.pth")])


if __name__ == "__main__":
    main()
