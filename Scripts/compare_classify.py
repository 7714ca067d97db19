#!/usr/bin/env python3
"""End-to-end check of `vision classify` against torchvision, and its cold start and peak memory.

Builds a torchvision model with seeded random weights (torch.manual_seed), BatchNorm statistics
calibrated on the preprocessed sample photos (their cumulative average over three train-mode passes:
the photos, their mirror images, the photos plus seeded noise) and the classifier (the state dict's
last weight and bias) scaled by a power of two so the logits' standard deviation is 2–4; saves its
state dict with torch.save, then classifies the sample photos both ways. (With torchvision's own
init and uncalibrated statistics, most families give the same near-uniform top-5, p ≈ 0.001, for
every photo, which a wrong preset or a broken layer would still match.)
  torchvision: the preset `vision classify --model NAME` applies, on PIL images, softmax top-k: the
               transforms of the zoo entry named NAME (Weights/zoo.json: IMAGENET1K_V1 for an
               architecture name, e.g. convnext_tiny's resize 236, efficientnet_b0's bicubic 256;
               IMAGENET1K_V2 for `<arch>_v2`), else ImageNet's resize 256 bilinear, crop 224;
  SwiftVision: `vision classify --json --topk K --model NAME --weights FILE IMAGES...`.
Prints per-image indices and the largest probability difference; exits 1 if indices differ or a
probability differs by more than 1e-4.

With --timing it also measures, over --runs runs each (medians): the wall time of `vision classify`
on one JPEG (process start to printed result, weights on disk) and of `python -c` doing the same
with torchvision, and the peak RSS of both (GNU time's %M; Debian package `time`).

Run: /tmp/torch-venv/bin/python Scripts/compare_classify.py [--vision .build/release/vision]
         [--model resnet18] [--topk 5] [--timing --runs 5]
"""
import argparse
import glob
import json
import math
import os
import statistics
import shutil
import subprocess
import sys
import tempfile
import time

import torch
import torchvision.models as tvm
from PIL import Image

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))

TORCH_ONE = """
import sys, torch, torchvision.models as tvm
from PIL import Image
torch.set_num_threads(2)
m = getattr(tvm, sys.argv[1])(); m.load_state_dict(torch.load(sys.argv[2], weights_only=True)); m.eval()
cls, member = sys.argv[4].split('.')
tf = getattr(getattr(tvm, cls), member).transforms()
with torch.inference_mode():
    p = m(tf(Image.open(sys.argv[3]).convert('RGB')).unsqueeze(0)).softmax(1)[0]
v, i = p.topk(5)
print([(int(a), float(b)) for a, b in zip(i, v)])
"""


def zoo_weights(name):
    """(architecture, torchvision weights enum "Class.MEMBER") whose preset `vision classify --model
    name` uses: the zoo entry named `name`, else ImageNet's default preset (ResNet18's V1)."""
    with open(os.path.join(ROOT, "Weights", "zoo.json")) as f:
        for entry in json.load(f)["entries"]:
            if entry["name"] == name:
                return entry["architecture"], entry["weights"]
    return name, "ResNet18_Weights.IMAGENET1K_V1"


def transforms_of(weights):
    cls, member = weights.split(".")
    return getattr(getattr(tvm, cls), member).transforms()


def seeded_model(name, batch):
    """The seeded model, BN calibrated and classifier scaled on `batch` (see the opening comment)."""
    torch.manual_seed(0)
    model = getattr(tvm, name)()
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # a cumulative average
    model.train()
    with torch.no_grad():
        for x in (batch, batch.flip(3), batch + 0.5 * torch.randn(batch.shape)):
            model(x)
        model.eval()
        logits = model(batch)
        scale = 2.0 ** -math.floor(math.log2(float(logits.std(1).mean()) / 2))
        state = model.state_dict()
        for key in list(state)[-2:]:
            state[key].mul_(scale)  # exact: a power of two
    return model


def timed(cmd):
    """Wall time and peak RSS (MB) of cmd. The RSS comes from GNU time's %M: ru_maxrss read by this
    (large) Python process through wait4 would count the pages of the fork before exec."""
    with tempfile.NamedTemporaryFile("r") as rss:
        start = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-q", "-o", rss.name, "-f", "%M"] + cmd, check=True, capture_output=True)
        wall = time.perf_counter() - start
        return wall, int(rss.read().split()[-1]) / 1024.0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vision", default=os.path.join(ROOT, ".build", "release", "vision"))
    p.add_argument("--model", default="resnet18")
    p.add_argument("--topk", type=int, default=5)
    p.add_argument("--timing", action="store_true")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    torch.set_num_threads(2)

    architecture, preset = zoo_weights(args.model)
    images = sorted(glob.glob(os.path.join(ROOT, "Datasets", "samples", "*.jpg")))
    tf = transforms_of(preset)
    batch = torch.stack([tf(Image.open(i).convert("RGB")) for i in images])
    model = seeded_model(architecture, batch)
    workdir = tempfile.mkdtemp(prefix="compare-classify-")
    try:
        ok = compare(args, architecture, preset, images, tf, batch, model, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(0 if ok else 1)


def compare(args, architecture, preset, images, tf, batch, model, workdir):
    """Runs vision classify on the seeded weights saved in workdir; prints the comparison (and the
    cold-start timing with --timing) and returns whether every image agreed."""
    weights = os.path.join(workdir, f"{architecture}-seeded.pth")
    torch.save(model.state_dict(), weights)
    print(f"{args.model}: torchvision {architecture} with {preset}.transforms() = {tf!r}".replace("\n", " ")
          .replace("    ", ""))
    with torch.inference_mode():
        probs = model(batch).softmax(1)
        # What a wrong preset would cost: ImageNet's other one (256 bilinear, or 232 if that is it).
        default = transforms_of("ResNet18_Weights.IMAGENET1K_V1")
        other = type(tf)(crop_size=tf.crop_size[0], resize_size=232 if repr(tf) == repr(default) else 256)
        wrong = float((model(torch.stack([other(Image.open(i).convert("RGB")) for i in images])).softmax(1)
                       - probs).abs().max())
    print(f"(with resize {other.resize_size[0]} bilinear instead, torchvision's own probabilities move by up to {wrong:.2e})")

    out = subprocess.run([args.vision, "classify", "--json", "--topk", str(args.topk), "--model", args.model,
                          "--weights", weights] + images, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"vision classify failed: {out.stderr}")
    ok = True
    for line, path, ref in zip(out.stdout.splitlines(), images, probs):
        record = json.loads(line)
        values, indices = ref.topk(args.topk)
        ours = [t["index"] for t in record["top"]]
        worst = max(abs(t["probability"] - ref[t["index"]].item()) for t in record["top"])
        same = ours == indices.tolist()
        ok &= same and worst <= 1e-4
        print(f"{os.path.basename(path):16s} torchvision {indices.tolist()} p={[round(v, 5) for v in values.tolist()]}\n"
              f"{'':16s} vision      {ours} same={same} max|Δp|={worst:.2e}")

    if args.timing:
        one = images[0]
        ours, theirs = [], []
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            ours.append(timed([args.vision, "classify", "--model", args.model, "--weights", weights, "--topk", "5", one]))
            theirs.append(timed([sys.executable, "-c", TORCH_ONE, architecture, weights, one, preset]))
        med = lambda rows, k: statistics.median(r[k] for r in rows)
        print(f"cold start, one JPEG, {args.runs} runs (median): vision {med(ours, 0):.3f} s, peak RSS {med(ours, 1):.0f} MB; "
              f"python+torchvision {med(theirs, 0):.3f} s, peak RSS {med(theirs, 1):.0f} MB; "
              f"ratio {med(ours, 0) / med(theirs, 0):.2f}")
    return ok


if __name__ == "__main__":
    main()
