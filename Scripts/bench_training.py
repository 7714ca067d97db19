#!/usr/bin/env python3
"""Training-step speed: SwiftVision (`vision bench train`) against PyTorch eager on the same work, in
the same run, 2 threads: zero_grad, forward in train mode, cross-entropy, backward, SGD(momentum
0.9) step on a fixed random batch. Alternates the two per round so a noisy neighbour slows both;
prints medians, images/s and the ratio (ours / PyTorch images/s).

    /tmp/torch-venv/bin/python Scripts/bench_training.py [--cases small_cnn:64:1:28,resnet18:32:3:64]
        [--runs 10] [--rounds 2] [--vision .build/release/vision]
"""
import argparse
import json
import os
import statistics
import subprocess
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def small_cnn(channels, classes):
    import torch.nn as nn
    return nn.Sequential(
        nn.Conv2d(channels, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, classes))


def torch_case(model, batch, channels, size, runs, warmup=2, classes=10):
    import torch
    import torchvision
    torch.set_num_threads(2)
    torch.manual_seed(0)
    m = small_cnn(channels, classes) if model == "small_cnn" else getattr(torchvision.models, model)(num_classes=classes)
    m.train()
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, channels, size, size)
    y = torch.randint(0, classes, (batch,))
    loss_fn = torch.nn.CrossEntropyLoss()
    ts = []
    for step in range(warmup + runs):
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(m(x), y)
        loss.backward()
        opt.step()
        loss.item()
        if step >= warmup:
            ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def ours_case(vision, case, runs):
    out = subprocess.run([vision, "bench", "train", "--cases", case, "--runs", str(runs), "--json"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["medianSeconds"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", default="small_cnn:64:1:28,resnet18:32:3:64")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--vision", default=os.path.join(ROOT, ".build", "release", "vision"))
    args = p.parse_args()
    import torch
    print(f"torch {torch.__version__}, 2 threads, {time.strftime('%Y-%m-%d %H:%M')}, load {os.getloadavg()[0]:.2f}")
    for case in args.cases.split(","):
        model, batch, channels, size = case.split(":")
        batch, channels, size = int(batch), int(channels), int(size)
        theirs, ours = [], []
        for _ in range(args.rounds):
            theirs.append(torch_case(model, batch, channels, size, args.runs))
            ours.append(ours_case(args.vision, case, args.runs))
        t, o = statistics.median(theirs), statistics.median(ours)
        print(f"{model:10s} batch {batch:3d} {channels}x{size}x{size}: PyTorch {t * 1e3:8.2f} ms/step {batch / t:7.1f} img/s | "
              f"SwiftVision {o * 1e3:8.2f} ms/step {batch / o:7.1f} img/s | ours/PyTorch throughput {t / o:.2f}")


if __name__ == "__main__":
    main()
