#!/usr/bin/env python3
"""The small CNN on full Fashion-MNIST, 2 epochs: PyTorch (../shared/bench/fashion_torch.py, or a
copy of its recipe when that file is absent) against `vision train --dataset fashion-mnist` with
the same recipe, in the same run: batch 64, SGD lr 0.01 momentum 0.9 (no weight decay, constant
LR), 2 threads, shuffled each epoch, last partial batch kept. Prints per-epoch training-loop wall
time, the ratio, test accuracy after each epoch and the peak RSS of both processes.
Both sides use the same seed, and SwiftVision's seed means PyTorch's (same initial weights, same
epoch permutations), so the two runs are the same experiment up to float rounding; --seeds runs
several and prints the accuracy of each pair.

    /tmp/torch-venv/bin/python Scripts/bench_fashion.py [--epochs 2] [--seeds 0] [--data /usr/share/datasets/fashion-mnist]
        [--vision .build/release/vision] [--torch-script ../shared/bench/fashion_torch.py]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def run_with_rss(cmd, env=None):
    """stdout and peak RSS (MB) of cmd, via GNU time (ru_maxrss through wait4 in this Python would
    count the fork's pages)."""
    with tempfile.NamedTemporaryFile("r") as rss:
        out = subprocess.run(["/usr/bin/time", "-q", "-o", rss.name, "-f", "%M"] + cmd, capture_output=True, text=True, env=env)
        if out.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr}")
        return out.stdout, int(rss.read().split()[-1]) / 1024.0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--vision", default=os.path.join(ROOT, ".build", "release", "vision"))
    p.add_argument("--torch-script", default=os.path.join(ROOT, "..", "shared", "bench", "fashion_torch.py"))
    p.add_argument("--seeds", default="0", help="comma-separated seeds, one PyTorch and one SwiftVision run each")
    args = p.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, load {os.getloadavg()[0]:.2f}, 2 threads")
    summary = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        theirs, ours, torch_rss, our_rss = run_pair(args, seed)
        print(f"seed {seed}")
        print("epoch  PyTorch loop s  acc     | SwiftVision loop s  acc     | time ratio (ours/PyTorch)")
        for t, o in zip(theirs, ours):
            print(f"{t['epoch']:5d}  {t['train_wall_s']:14.2f}  {t['test_acc'] * 100:5.2f}%  | {o['train_seconds']:18.2f}  "
                  f"{o['val_acc1'] * 100:5.2f}%  | {o['train_seconds'] / t['train_wall_s']:.2f}")
        print(f"peak RSS: PyTorch {torch_rss:.0f} MB, SwiftVision {our_rss:.0f} MB", flush=True)
        summary.append((seed, theirs[-1]["test_acc"] * 100, ours[-1]["val_acc1"] * 100))
    if len(summary) > 1:
        print("seed  PyTorch acc  SwiftVision acc  difference")
        for seed, t, o in summary:
            print(f"{seed:4d}  {t:10.2f}%  {o:14.2f}%  {o - t:+.2f}")
        n = len(summary)
        print(f"mean  {sum(t for _, t, _ in summary) / n:10.2f}%  {sum(o for _, _, o in summary) / n:14.2f}%")


def run_pair(args, seed):
    """Both runs with `seed`: (PyTorch epochs, SwiftVision epochs, their peak RSS in MB)."""
    out, torch_rss = run_with_rss([sys.executable, args.torch_script, "--data", args.data, "--epochs", str(args.epochs),
                                   "--threads", "2", "--batch", "64", "--lr", "0.01", "--seed", str(seed)])
    theirs = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    theirs = [e for e in theirs if e.get("event") == "epoch"]

    with tempfile.TemporaryDirectory() as tmp:
        ckpt = os.path.join(tmp, "fashion.safetensors")
        env = dict(os.environ, VISION_NUM_THREADS="2")
        _, our_rss = run_with_rss([args.vision, "train", "--dataset", "fashion-mnist", "--dataset-path", args.data,
                                   "--model", "small_cnn", "--epochs", str(args.epochs), "--batch-size", "64",
                                   "--lr", "0.01", "--momentum", "0.9", "--weight-decay", "0", "--scheduler", "none",
                                   "--seed", str(seed), "--plain", "--out", ckpt], env=env)
        with open(ckpt + ".metrics.jsonl") as f:
            ours = [json.loads(l) for l in f]
    return theirs, ours, torch_rss, our_rss

if __name__ == "__main__":
    main()
