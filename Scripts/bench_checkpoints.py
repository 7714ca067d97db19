#!/usr/bin/env python3
"""Checkpoint loading: SwiftVision's `loadCheckpoint` against `torch.load`, in the same run.

Makes a ResNet-50-shaped checkpoint at bench time (torchvision.models.resnet50() state dict,
torch.save; ~100 MB, the structure of the zoo file), then loads it in fresh processes:
torch.load(weights_only=True) and our loader (`CheckpointBenchmark.run`). Reports the median
load time of each, their ratio, and each process's peak RSS.

    /tmp/torch-venv/bin/python Scripts/bench_checkpoints.py [--reps 5] [--legacy] [--swift CMD...]

The Swift side is `vision bench checkpoints FILE REPS --json` from a release build
(`swift build -c release`); `--swift CMD` runs CMD FILE REPS instead, which must print the same
JSON line.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

TORCH_LOAD = r"""
import json, sys, time, torch
path, reps = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(2)
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
with open("/proc/self/clear_refs", "w") as f:  # reset the peak: importing torch is not loading
    f.write("5")
before = status("VmRSS:")
seconds = []
for _ in range(reps):
    t = time.perf_counter()
    sd = torch.load(path, weights_only=True, map_location="cpu")
    seconds.append(time.perf_counter() - t)
    n = len(sd)
    del sd
peak = status("VmHWM:")
print(json.dumps({"median_s": sorted(seconds)[len(seconds) // 2], "seconds": seconds, "peak_rss_bytes": peak,
                  "rss_before_bytes": before, "tensors": n}))
"""


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--legacy", action="store_true", help="save with _use_new_zipfile_serialization=False")
    ap.add_argument("--model", default="resnet50", help="torchvision model whose state dict to save (vgg16: 528 MB)")
    ap.add_argument("--swift", nargs="+", help="command that runs CheckpointBenchmark.run (given FILE REPS)")
    ap.add_argument("--keep", help="write the checkpoint here and keep it")
    args = ap.parse_args()

    import torch
    import torchvision

    with tempfile.TemporaryDirectory() as scratch:
        path = args.keep or os.path.join(scratch, f"{args.model}.pth")
        torch.manual_seed(0)
        sd = getattr(torchvision.models, args.model)().state_dict()
        torch.save(sd, path, _use_new_zipfile_serialization=not args.legacy)
        del sd
        size = os.path.getsize(path)
        swift_cmd = args.swift or [os.path.join(ROOT, ".build", "release", "vision"), "bench", "checkpoints", "--json"]
        # Warm the page cache once so both loaders read from memory.
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass
        ours = run_json([*swift_cmd, path, str(args.reps)])
        theirs = run_json([sys.executable, "-c", TORCH_LOAD, path, str(args.reps)])

    mb = 1 << 20
    fmt = "legacy stream" if args.legacy else "zip"
    print(f"{args.model} state dict ({fmt}, {size / mb:.1f} MiB, {ours['tensors']} tensors), {args.reps} loads each, medians:")
    for name, r in [("torch.load", theirs), ("loadCheckpoint", ours)]:
        print(f"  {name:15s} {r['median_s'] * 1e3:8.1f} ms (first {r['seconds'][0] * 1e3:6.1f} ms)"
              f"   peak RSS {r['peak_rss_bytes'] / mb:7.1f} MiB, {(r['peak_rss_bytes'] - r['rss_before_bytes']) / mb:6.1f} MiB above"
              f" the {r['rss_before_bytes'] / mb:.1f} MiB before loading")
    print(f"  ratio (ours / torch): {ours['median_s'] / theirs['median_s']:.2f}x time")
    print(json.dumps({"file_bytes": size, "format": fmt, "torch": theirs, "swiftvision": ours}))


if __name__ == "__main__":
    main()
