#!/usr/bin/env python3
"""Every convolutional classification builder of SwiftVision against torchvision, end to end through
`vision classify`: logits must agree within 1e-4 relative (issue 15).

Per builder (the names in Sources/Models/Architectures.swift, small_cnn excepted), with the helpers
of Scripts/compare_classify.py:
  - the torchvision model, seeded (torch.manual_seed(0)), full size, its BatchNorm statistics
    calibrated on the three preprocessed sample photos (cumulative average, momentum=None, over
    three train-mode passes: the photos, their mirror images, the photos plus seeded noise) and its
    classifier scaled by a power of two so the logits' standard deviation is 2–4
    (compare_classify.seeded_model); saved with torch.save(state_dict) as a .pth in a temp dir;
  - input: Datasets/samples/*.jpg through the preset `vision classify --model NAME` uses (the zoo
    entry named NAME: IMAGENET1K_V1's transforms, e.g. efficientnet_b7's 600/600 bicubic; else
    ImageNet's 256/224 bilinear), on PIL images; torchvision in eval mode, float32;
  - SwiftVision: `vision classify --json --topk 1000 --model NAME --weights FILE IMAGES...`, whose
    probabilities (float32, printed round-trip exact) give log-probabilities.
Both sides are compared as log-probabilities (logits minus their logsumexp, so the constant a
softmax drops cancels): rel = max |Δ log p| / max |logit − mean logit| (torchvision's logits,
centred, so an offset common to all classes cannot loosen the bound), the worst over the photos.
top5 = the five most probable classes, in order, are the same for every photo.

Prints one line per builder (name, parameters, rel, top5, seconds) and a summary; exits 1 if a
builder exceeds --tolerance or its top-5 differ. Under a miss, notes: both sides' rel against
torchvision run in float64 (the float32 noise floor: deep seeded ResNets reach 1e-4 on torchvision's
own); and, for any builder, a preset whose mean/std are not ImageNet's. Builders whose weights would not fit in the free
memory or disk, or that would start after --budget seconds, are skipped with the reason.

Run: /tmp/torch-venv/bin/python Scripts/compare_all_builders.py [--vision .build/release/vision]
         [--only a,b] [--skip a,b] [--budget 2400] [--tolerance 1e-4]
"""
import argparse
import gc
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_classify import ROOT, seeded_model, transforms_of, zoo_weights  # noqa: E402

# The convolutional families of issue 15 first, then the classic ones.
ORDER = ["squeezenet", "densenet", "googlenet", "inception", "mobilenet", "mnasnet", "shufflenet", "efficientnet",
         "regnet_x", "regnet_y", "convnext", "resnet", "resnext", "wide_resnet", "vgg", "alexnet"]


def builder_names():
    """SwiftVision's builder names, read from Architectures.swift (small_cnn, 1–3 channels, excepted)."""
    with open(os.path.join(ROOT, "Sources", "Models", "Architectures.swift")) as f:
        names = re.findall(r'^\s*"(\w+)": \{', f.read(), re.M)
    names = [n for n in names if n != "small_cnn"]
    family = lambda n: next((i for i, p in enumerate(ORDER) if n.startswith(p)), len(ORDER))
    # The largest (regnet_y_128gf, 645M parameters) last, so that the time budget goes to the others.
    return sorted(names, key=lambda n: (param_count(n) > 300e6, family(n), names.index(n)))


def mem_available():
    with open("/proc/meminfo") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith("MemAvailable:"))


def param_count(name):
    """Parameters of the builder's zoo weights (Weights/zoo.json), for the memory estimate and the
    order; else of the torchvision model."""
    with open(os.path.join(ROOT, "Weights", "zoo.json")) as f:
        counts = [e["numParams"] for e in json.load(f)["entries"] if e["architecture"] == name]
    if counts:
        return counts[0]
    import torchvision.models as tvm
    return sum(p.numel() for p in getattr(tvm, name)().parameters())


IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])


def rel_error(log_probs, reference):
    """max |Δ log p| / max |logit − mean logit| per row (reference: logits)."""
    den = (reference - reference.mean(1, keepdim=True)).abs().max(1).values
    return (log_probs - reference.log_softmax(1)).abs().max(1).values / den


def compare(name, vision, images, workdir, tolerance):
    """(params, rel, top-5 equal, notes) for one builder; notes diagnose a miss of the bound."""
    architecture, preset = zoo_weights(name)
    tf = transforms_of(preset)
    batch = torch.stack([tf(Image.open(i).convert("RGB")) for i in images])
    model = seeded_model(architecture, batch)
    params = sum(p.numel() for p in model.parameters())
    weights = os.path.join(workdir, f"{architecture}-seeded.pth")
    torch.save(model.state_dict(), weights)
    with torch.inference_mode():
        logits = model(batch).double()
    del model
    gc.collect()
    try:
        out = subprocess.run([vision, "classify", "--json", "--topk", "1000", "--model", name, "--weights", weights]
                             + images, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"vision classify failed: {out.stderr.strip()}")
        records = [json.loads(line) for line in out.stdout.splitlines()]
        if len(records) != len(images):
            raise RuntimeError(f"vision printed {len(records)} records for {len(images)} images")
        probs = torch.zeros(logits.shape, dtype=torch.float64)
        for row, record in enumerate(records):
            for t in record["top"]:
                probs[row, t["index"]] = t["probability"]
        same = all([t["index"] for t in r["top"][:5]] == ref.topk(5).indices.tolist() for r, ref in zip(records, logits))
        notes = []
        if [list(tf.mean), list(tf.std)] != [list(v) for v in IMAGENET]:
            notes.append(f"torchvision's preset normalises with mean {list(tf.mean)} std {list(tf.std)}, not ImageNet's "
                         "(the zoo entry's preset carries them)")
        zeros = int((probs <= 0).sum())
        rel = float("inf") if zeros else float(rel_error(probs.log(), logits).max())
        if zeros:  # an underflowing softmax: log p = −∞ (torchvision's float32 softmax underflows for none)
            notes.append(f"{zeros} of vision's probabilities are 0, torchvision's float32 softmax has "
                         f"{int((logits.float().softmax(1) == 0).sum())}")
        if not zeros and (rel > tolerance or not same):
            # How far each float32 side is from torchvision in float64: the bound's noise floor.
            import torchvision.models as tvm
            reference = getattr(tvm, architecture)().double().eval()
            reference.load_state_dict(torch.load(weights, weights_only=True))
            with torch.inference_mode():
                exact = reference(batch.double())
            del reference
            gc.collect()
            theirs = float(rel_error(logits.log_softmax(1), exact).max())
            ours = float(rel_error(probs.log(), exact).max())
            notes.append(f"against torchvision in float64: torchvision float32 {theirs:.2e}, vision {ours:.2e}")
    finally:
        os.remove(weights)
    return params, rel, same, notes


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vision", default=os.path.join(ROOT, ".build", "release", "vision"))
    p.add_argument("--only", default="", help="comma-separated builder names (default: all)")
    p.add_argument("--skip", default="", help="comma-separated builder names to skip")
    p.add_argument("--budget", type=float, default=2400, help="start no builder after this many seconds")
    p.add_argument("--tolerance", type=float, default=1e-4)
    args = p.parse_args()
    torch.set_num_threads(2)

    names = builder_names()
    if args.only:
        wanted = args.only.split(",")
        unknown = [n for n in wanted if n not in names]
        if unknown:
            sys.exit(f"unknown builders: {', '.join(unknown)}")
        names = [n for n in names if n in wanted]
    skip = set(filter(None, args.skip.split(",")))
    images = sorted(glob.glob(os.path.join(ROOT, "Datasets", "samples", "*.jpg")))
    print(f"torch {torch.__version__}; {len(names)} builders; images {[os.path.basename(i) for i in images]}; "
          f"rel = max|Δ log p| / max|logit − mean|, bound {args.tolerance:g}", flush=True)
    print(f"{'builder':22s} {'params':>8s} {'rel':>9s} {'top5':>5s} {'s':>7s}", flush=True)
    start = time.perf_counter()
    passed, failed, skipped = [], [], []
    workdir = tempfile.mkdtemp(prefix="compare-all-builders-")
    try:
        for name in names:
            if name in skip:
                skipped.append((name, "--skip")); print(f"{name:22s} skipped: --skip", flush=True); continue
            if time.perf_counter() - start > args.budget:
                skipped.append((name, "time budget")); print(f"{name:22s} skipped: past the {args.budget:.0f} s budget", flush=True)
                continue
            n = param_count(name)
            # torchvision's model + its saved file + SwiftVision's state dict, module and folded copy.
            need_ram, need_disk = 6 * 4 * n, 4 * n * 1.1
            if need_ram > mem_available() or need_disk > shutil.disk_usage(workdir).free:
                reason = (f"{n / 1e6:.1f}M parameters need ~{need_ram / 2**30:.1f} GiB RAM (available "
                          f"{mem_available() / 2**30:.1f}) and {need_disk / 2**30:.1f} GiB disk")
                skipped.append((name, reason)); print(f"{name:22s} skipped: {reason}", flush=True); continue
            t0 = time.perf_counter()
            try:
                params, rel, same, notes = compare(name, args.vision, images, workdir, args.tolerance)
            except Exception as e:  # noqa: BLE001 — report and go on with the others
                failed.append(name)
                print(f"{name:22s} {n / 1e6:7.1f}M ERROR {e} ({time.perf_counter() - t0:.1f} s)", flush=True)
                continue
            ok = same and rel <= args.tolerance
            (passed if ok else failed).append(name)
            print(f"{name:22s} {params / 1e6:7.1f}M {rel:9.2e} {'yes' if same else 'NO':>5s} {time.perf_counter() - t0:7.1f}"
                  + ("" if ok else "  FAIL"), flush=True)
            for note in notes:
                print(f"{'':22s}   {note}", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"summary: {len(passed)} within {args.tolerance:g} with equal top-5, {len(failed)} failed"
          + (f" ({', '.join(failed)})" if failed else "") + f", {len(skipped)} skipped"
          + (f" ({', '.join(n for n, _ in skipped)})" if skipped else "")
          + f"; {time.perf_counter() - start:.0f} s", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
