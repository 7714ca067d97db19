#!/usr/bin/env python3
"""Image decode + ImageNet preset: SwiftVision against Pillow/torchvision on the same files, same run.

    /tmp/torch-venv/bin/python Scripts/bench_images.py [--swift CMD...] [--reps 20]

Makes a 1920x1080 JPEG (quality 90, 4:2:0) and PNG (zlib level 6) from Datasets/samples/astronaut.jpg
(upscaled, with mild noise so the PNG is photo-like), times Pillow's open+convert("RGB") and
torchvision's Resize(256)+CenterCrop(224)+ToTensor+Normalize on them, then runs the Swift side, by
default `swift run -c release vision bench images JPEG PNG REPS --json` (the CLI wraps
`ImageBenchmark.run`), and prints both with the ratio. Medians over REPS runs after a warm-up.
"""
import argparse, json, os, subprocess, sys, tempfile, time
import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def median_ms(fn, reps):
    fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1e3)
    ts.sort()
    return ts[len(ts) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--swift", nargs="*", default=["swift", "run", "-c", "release", "vision", "bench", "images"],
                    help="command that takes JPEG PNG REPS --json and prints ImageBenchmark results as JSON")
    ap.add_argument("--threads", type=int, default=1, help="torch threads for ToTensor/Normalize")
    args = ap.parse_args()
    import torch
    import torchvision.transforms as T
    torch.set_num_threads(args.threads)

    tmp = tempfile.mkdtemp(prefix="bench-images-")
    src = Image.open(os.path.join(ROOT, "Datasets", "samples", "astronaut.jpg")).convert("RGB")
    big = np.asarray(src.resize((1920, 1080), Image.Resampling.BICUBIC)).astype(np.int16)
    big = np.clip(big + np.random.RandomState(0).normal(0, 3, big.shape).round(), 0, 255).astype(np.uint8)
    jpeg, png = os.path.join(tmp, "bench.jpg"), os.path.join(tmp, "bench.png")
    Image.fromarray(big).save(jpeg, quality=90)
    Image.fromarray(big).save(png)

    preset = T.Compose([T.Resize(256, interpolation=T.InterpolationMode.BILINEAR, antialias=True), T.CenterCrop(224),
                        T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    crop = T.Compose([T.Resize(256, interpolation=T.InterpolationMode.BILINEAR, antialias=True), T.CenterCrop(224)])
    photo = Image.open(jpeg).convert("RGB")
    pillow = {
        "decode jpeg": median_ms(lambda: Image.open(jpeg).convert("RGB").load(), args.reps),
        "decode png": median_ms(lambda: Image.open(png).convert("RGB").load(), args.reps),
        "preset resize256+crop224": median_ms(lambda: crop(photo), args.reps),
        "preset full": median_ms(lambda: preset(photo), args.reps),
        "decode jpeg + preset": median_ms(lambda: preset(Image.open(jpeg).convert("RGB")), args.reps),
    }
    swift = {}
    try:
        out = subprocess.run(args.swift + [jpeg, png, str(args.reps), "--json"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
        line = [l for l in out.splitlines() if l.startswith(("{", "["))][-1]
        report = json.loads(line)  # {"cpu", "isa", "threads", "results": [...]} (a bare array before)
        for r in report["results"] if isinstance(report, dict) else report:
            swift[r["name"]] = r["medianMs"]
    except Exception as e:  # the Swift side is optional: still print Pillow's numbers
        print(f"(Swift side not run: {e})", file=sys.stderr)

    def find(prefix):
        return next((v for k, v in swift.items() if k.startswith(prefix)), None)

    print(f"1920x1080 JPEG {os.path.getsize(jpeg) // 1024} KiB, PNG {os.path.getsize(png) // 1024} KiB; "
          f"Pillow {Image.__version__}, median of {args.reps}")
    print(f"{'operation':34s} {'Pillow ms':>10s} {'Swift ms':>10s} {'Swift/Pillow':>13s}")
    for name, key in [("decode jpeg", "decode jpeg 1920"), ("decode png", "decode png 1920"),
                      ("preset resize256+crop224", "preset resize"), ("preset full", "preset full"),
                      ("decode jpeg + preset", "decode jpeg + preset")]:
        s = find(key)
        ratio = f"{s / pillow[name]:.2f}" if s else "-"
        print(f"{name:34s} {pillow[name]:10.2f} {s if s else float('nan'):10.2f} {ratio:>13s}")


if __name__ == "__main__":
    main()
