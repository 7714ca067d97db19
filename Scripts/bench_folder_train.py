#!/usr/bin/env python3
"""A whole training epoch on a PNG image folder at 32x32: `vision train --data DIR` against a
PyTorch script with torchvision's ImageFolder and DataLoader doing the same recipe, in the same
run, alternating, 2 threads.

Recipe (both sides): ResNet-18 (torchvision's, 10 classes, random init), RGB PNGs decoded per
epoch, resize + centre crop to 32 (no augmentation: `--augment none`), ToTensor + ImageNet
normalisation, batch 64, shuffled, last partial batch kept, SGD lr 0.1 momentum 0.9 weight decay
1e-4, cross-entropy, no validation. PyTorch: torch.set_num_threads(2), DataLoader num_workers 2
(the usual setting; --torch-workers changes it). SwiftVision: VISION_NUM_THREADS=2 and its default
decoding workers. The folder (--images per class of 10 classes, 32x32 RGB PNGs made from
Fashion-MNIST's training images, each gray image tinted per class so colour carries signal) is
written once to --folder. Prints each side's training-loop time (PyTorch: the loop over the
DataLoader, worker start-up included; SwiftVision: the epoch's `train_seconds` from its metrics
file, which counts the same loop), SwiftVision's whole process time, the ratio and the CPU.

    /tmp/torch-venv/bin/python Scripts/bench_folder_train.py [--images 500] [--rounds 3]
        [--folder /tmp/swiftvision-folder32] [--vision .build/release/vision] [--torch-workers 2]
"""
import argparse, gzip, json, os, struct, subprocess, sys, tempfile, time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

TORCH_EPOCH = r"""
import sys, time, torch, torchvision
from torchvision import transforms as T
folder, workers = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(2)
torch.manual_seed(0)
tf = T.Compose([T.Resize(32), T.CenterCrop(32), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
data = torchvision.datasets.ImageFolder(folder, transform=tf)
loader = torch.utils.data.DataLoader(data, batch_size=64, shuffle=True, num_workers=workers, drop_last=False)
model = torchvision.models.resnet18(num_classes=len(data.classes))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
loss_fn = torch.nn.CrossEntropyLoss()
model.train()
start = time.perf_counter()
for x, y in loader:
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
print(time.perf_counter() - start)
"""


def machine(vision):
    """CPU, ISA path and thread count as `vision bench machine` reports them (2 threads)."""
    env = dict(os.environ, VISION_NUM_THREADS="2")
    out = subprocess.run([vision, "bench", "machine", "--json", "--seconds", "0.02", "--repeats", "1"],
                         capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"vision bench machine failed ({out.returncode}):\n{out.stderr[-2000:]}")
    info = json.loads(out.stdout.strip().splitlines()[-1])
    return info["cpu"], info["isa"], info["threads"]


def write_folder(folder, per_class, source="/usr/share/datasets/fashion-mnist"):
    """10 class folders of per_class 32x32 RGB PNGs from Fashion-MNIST's training images."""
    marker = os.path.join(folder, f".complete-{per_class}")
    if os.path.exists(marker):
        return
    from PIL import Image
    with gzip.open(os.path.join(source, "train-images-idx3-ubyte.gz")) as f:
        _, n, h, w = struct.unpack(">IIII", f.read(16))
        pixels = f.read(n * h * w)
    with gzip.open(os.path.join(source, "train-labels-idx1-ubyte.gz")) as f:
        f.read(8)
        labels = f.read(n)
    tints = [(255, 80, 80), (80, 255, 80), (80, 80, 255), (255, 255, 80), (255, 80, 255),
             (80, 255, 255), (255, 160, 80), (160, 80, 255), (200, 200, 200), (120, 255, 160)]
    counts = [0] * 10
    for c in range(10):
        os.makedirs(os.path.join(folder, f"class{c}"), exist_ok=True)
    for i in range(n):
        c = labels[i]
        if counts[c] >= per_class:
            continue
        gray = Image.frombytes("L", (w, h), pixels[i * h * w:(i + 1) * h * w]).resize((32, 32), Image.BILINEAR)
        r, g, b = tints[c]
        rgb = Image.merge("RGB", [gray.point(lambda v, k=k: v * k // 255) for k in (r, g, b)])
        rgb.save(os.path.join(folder, f"class{c}", f"{i:05d}.png"))
        counts[c] += 1
        if min(counts) >= per_class:
            break
    open(marker, "w").close()


def run_vision(vision, folder):
    with tempfile.TemporaryDirectory() as out:
        env = dict(os.environ, VISION_NUM_THREADS="2")
        cmd = [vision, "train", "--data", folder, "--model", "resnet18", "--channels", "3", "--image-size", "32",
               "--augment", "none", "--epochs", "1", "--batch-size", "64", "--lr", "0.1", "--momentum", "0.9",
               "--weight-decay", "1e-4", "--scheduler", "none", "--plain", "--out", os.path.join(out, "m.safetensors")]
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"vision train failed ({done.returncode}):\n{done.stderr[-2000:]}")
        with open(os.path.join(out, "m.safetensors.metrics.jsonl")) as f:
            loop = json.loads(f.readline())["train_seconds"]
        return loop, elapsed


def run_torch(folder, workers):
    done = subprocess.run([sys.executable, "-c", TORCH_EPOCH, folder, str(workers)], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"PyTorch epoch failed:\n{done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", type=int, default=500, help="images per class (10 classes)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--folder", default="/tmp/swiftvision-folder32")
    p.add_argument("--vision", default=os.path.join(ROOT, ".build/release/vision"))
    p.add_argument("--torch-workers", type=int, default=2)
    a = p.parse_args()
    write_folder(a.folder, a.images)
    import torch
    cpu, isa, threads = machine(a.vision)
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, CPU {cpu}, SwiftVision ISA {isa}, {threads} threads, "
          f"torch {torch.__version__}; {10 * a.images} images 32x32 PNG, resnet18, batch 64, 1 epoch")
    ours, theirs = [], []
    for r in range(a.rounds):
        theirs.append(run_torch(a.folder, a.torch_workers))
        loop, process = run_vision(a.vision, a.folder)
        ours.append(loop)
        print(f"round {r + 1}: PyTorch loop {theirs[-1]:.2f} s | SwiftVision loop {loop:.2f} s (process {process:.2f} s) "
              f"| ratio {loop / theirs[-1]:.2f}")
    ours.sort(); theirs.sort()
    mo, mt = ours[len(ours) // 2], theirs[len(theirs) // 2]
    print(f"median: PyTorch {mt:.2f} s, SwiftVision {mo:.2f} s, ratio (ours/PyTorch) {mo / mt:.2f}")


if __name__ == "__main__":
    main()
