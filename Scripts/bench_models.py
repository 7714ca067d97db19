#!/usr/bin/env python3
"""Whole-model inference: SwiftVision (`vision bench models`) against PyTorch eager on the same work,
in the same run, 2 threads, random weights, eval mode without autograd. Alternates the two (torch,
ours, torch, ours) so a noisy neighbour slows both, and prints medians and ratios.

    /tmp/torch-venv/bin/python Scripts/bench_models.py [--models resnet18,resnet50,vgg16] [--batches 1,16] [--rounds 2]

Needs a release build (`swift build -c release`).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def torch_case(model, batch, runs):
    import torch
    import torchvision
    torch.set_num_threads(2)
    torch.manual_seed(0)
    m = getattr(torchvision.models, model)().eval()
    x = torch.rand(batch, 3, 224, 224) * 4 - 2
    with torch.inference_mode():
        m(x)
        ts = []
        for _ in range(runs):
            t = time.perf_counter()
            m(x)
            ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def ours_case(model, batch, runs):
    out = subprocess.run([os.path.join(ROOT, ".build", "release", "vision"), "bench", "models", "--models", model,
                          "--batches", str(batch), "--runs", str(runs), "--json"],
                         check=True, capture_output=True, text=True, env=dict(os.environ, VISION_NUM_THREADS="2"))
    return json.loads(out.stdout.strip().splitlines()[-1])["medianSeconds"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="resnet18,resnet50,vgg16")
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    import torch
    print(f"torch {torch.__version__}, 2 threads; medians of {args.runs} runs, {args.rounds} alternating rounds")
    print(f"{'model':10s} {'batch':>5s} {'torch ms':>10s} {'ours ms':>10s} {'ours/torch':>10s} {'torch img/s':>12s} {'ours img/s':>11s}")
    for model in args.models.split(","):
        for batch in [int(b) for b in args.batches.split(",")]:
            theirs, ours = [], []
            for _ in range(args.rounds):
                theirs.append(torch_case(model, batch, args.runs))
                ours.append(ours_case(model, batch, args.runs))
            t, o = statistics.median(theirs), statistics.median(ours)
            print(f"{model:10s} {batch:5d} {t * 1e3:10.1f} {o * 1e3:10.1f} {o / t:10.2f} {batch / t:12.1f} {batch / o:11.1f}", flush=True)


if __name__ == "__main__":
    main()
