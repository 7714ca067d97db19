#!/usr/bin/env python3
"""Writes PyTorch's random draws for SwiftVision's TorchGenerator tests.

Tests/TensorsTests/Fixtures/torch_rng.json — the generator itself:
- "random64": torch.empty(4, dtype=int64).random_() after manual_seed(0): each is random64() & (2^63 − 1).
- "uniform": torch.empty(20).uniform_(-0.3, 0.7) after manual_seed(0) (exact float32 values).
- "normal_fill": torch.empty(40).normal_(0.1, 0.5) after manual_seed(0) (the ≥ 16-element path,
  40 = two blocks of 16 plus a recomputed tail; SLEEF vs libm: equal to ~1 ulp).
- "normal_scalar": normal_(0.1, 0.5) on 5 elements, then on 3 more, after manual_seed(0) (the
  scalar Double path, whose cached second normal carries over to the next call).
- "randperm": with g = torch.Generator().manual_seed(S): two consecutive randperm(10) for S = 0
  and S = 5; for randperm(60000) with S = 0, the first 16 entries of two consecutive calls and
  sum(i * p[i]) of each (a checksum of the whole permutation).

Tests/ModelsTests/Fixtures/torch_init.json — layer initialisation after torch.manual_seed(0):
- "small_cnn": the model of /work/shared/bench/fashion_torch.py (1 channel, 10 classes) and
  "resnet18": torchvision.models.resnet18(). Per state-dict entry: shape, the first 6 values,
  the sum and the sum of squares (float64), and sha256 of the float32 little-endian bytes
  (initialisation that uses only uniform_ is bit-exact). "next_uniform": torch.rand(4) right
  after building the model, which shows that the model consumed exactly as many draws.

Tests/ModelsTests/Fixtures/torch_init-<family>.json — the same under "models" for torchvision
builders of one model family (INIT_FAMILIES), one file per family so that adding one leaves the
others unchanged.

Run: /tmp/torch-venv/bin/python Scripts/make_rng_fixtures.py [FAMILY ...]   (default: everything;
with family names, only those families' torch_init-<family>.json)
"""
import hashlib
import json
import os
import sys

import torch
import torch.nn as nn
import torchvision

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
# family → torchvision builders whose initialisation torch_init-<family>.json records.
INIT_FAMILIES = {
    "mobile": ["mobilenet_v3_small", "mnasnet0_5", "efficientnet_b0"],
}


def floats(t):
    return [float(v) for v in t.flatten().tolist()]


def generator_fixture():
    out = {"torch": torch.__version__}
    torch.manual_seed(0)
    out["random64"] = [str(v) for v in torch.empty(4, dtype=torch.int64).random_().tolist()]
    torch.manual_seed(0)
    out["uniform"] = {"low": -0.3, "high": 0.7, "values": floats(torch.empty(20).uniform_(-0.3, 0.7))}
    torch.manual_seed(0)
    out["normal_fill"] = {"mean": 0.1, "std": 0.5, "values": floats(torch.empty(40).normal_(0.1, 0.5))}
    torch.manual_seed(0)
    first = floats(torch.empty(5).normal_(0.1, 0.5))
    second = floats(torch.empty(3).normal_(0.1, 0.5))
    out["normal_scalar"] = {"mean": 0.1, "std": 0.5, "first": first, "second": second}
    perms = {}
    for seed in (0, 5):
        g = torch.Generator().manual_seed(seed)
        perms[f"10_seed{seed}"] = [torch.randperm(10, generator=g).tolist() for _ in range(2)]
    g = torch.Generator().manual_seed(0)
    big = [torch.randperm(60000, generator=g) for _ in range(2)]
    perms["60000_seed0"] = {"first16": [p[:16].tolist() for p in big],
                            "checksum": [int((torch.arange(60000) * p).sum()) for p in big]}
    out["randperm"] = perms
    return out


def model_fixture(build):
    torch.manual_seed(0)
    model = build()
    entries = []
    for name, t in model.state_dict().items():
        t = t.detach().to(torch.float32).contiguous()
        d = t.double()
        entries.append({"name": name, "shape": list(t.shape), "first": floats(t.flatten()[:6]),
                        "sum": float(d.sum()), "sum_squares": float((d * d).sum()),
                        "sha256": hashlib.sha256(t.numpy().astype("<f4").tobytes()).hexdigest()})
    return {"entries": entries, "next_uniform": floats(torch.rand(4))}


def small_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def write_init_family(family):
    init = {"torch": torch.__version__, "torchvision": torchvision.__version__,
            "models": {name: model_fixture(getattr(torchvision.models, name)) for name in INIT_FAMILIES[family]}}
    path = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures", f"torch_init-{family}.json")
    with open(path, "w") as f:
        json.dump(init, f, separators=(",", ":"))
    print("wrote", path)


def main():
    if len(sys.argv) > 1:
        for family in sys.argv[1:]:
            write_init_family(family)
        return
    for family in INIT_FAMILIES:
        write_init_family(family)
    path = os.path.join(ROOT, "Tests", "TensorsTests", "Fixtures", "torch_rng.json")
    with open(path, "w") as f:
        json.dump(generator_fixture(), f, indent=1)
    print("wrote", path)
    init = {"torch": torch.__version__, "torchvision": torchvision.__version__,
            "small_cnn": model_fixture(small_cnn), "resnet18": model_fixture(lambda: torchvision.models.resnet18())}
    path = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures", "torch_init.json")
    with open(path, "w") as f:
        json.dump(init, f, indent=1)
    print("wrote", path)


if __name__ == "__main__":
    main()
