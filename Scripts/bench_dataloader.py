#!/usr/bin/env python3
"""PyTorch's side of the DataLoader benchmark: the same work as DataLoaderBenchmark, timed in the
same session so the two can be compared as a ratio on this noisy machine.

Run:  /tmp/torch-venv/bin/python Scripts/bench_dataloader.py FOLDER [--fashion DIR]
FOLDER is the JPEG folder DataLoaderBenchmark.run(..., keepIn: FOLDER) wrote. Prints images/s of
torchvision's ImageFolder + DataLoader (RandomResizedCrop(224), RandomHorizontalFlip, ToTensor,
Normalize; batch 32, shuffle) for num_workers 0, 1, 2 (median of 3 epochs), and, with --fashion,
of FashionMNIST (ToTensor + Normalize, batch 64) from Debian's gzip'd IDX files.
"""
import argparse, gzip, os, shutil, statistics, sys, tempfile, time

import torch
import torchvision
from torchvision import transforms as T


def epoch_rate(dataset, batch, workers, epochs=3):
    rates = []
    for e in range(epochs):
        g = torch.Generator().manual_seed(e)
        loader = torch.utils.data.DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=workers, generator=g)
        start = time.perf_counter()
        n = sum(len(labels) for _, labels in loader)
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("folder")
    p.add_argument("--fashion", default=None)
    args = p.parse_args()
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, intra-op threads {torch.get_num_threads()}")
    tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(),
                    T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    folder = torchvision.datasets.ImageFolder(args.folder, transform=tf)
    for w in [0, 1, 2]:
        print(f"ImageFolder {len(folder)} JPEGs, batch 32, num_workers {w}: {epoch_rate(folder, 32, w):8.1f} images/s")
    if args.fashion:
        with tempfile.TemporaryDirectory() as tmp:
            raw = os.path.join(tmp, "FashionMNIST", "raw")
            os.makedirs(raw)
            for name in os.listdir(args.fashion):
                if name.endswith(".gz"):
                    with gzip.open(os.path.join(args.fashion, name)) as src, open(os.path.join(raw, name[:-3]), "wb") as dst:
                        shutil.copyfileobj(src, dst)
            start = time.perf_counter()
            fashion = torchvision.datasets.FashionMNIST(tmp, train=True, transform=T.Compose([T.ToTensor(), T.Normalize((0.2860,), (0.3530,))]))
            print(f"FashionMNIST train loaded in {time.perf_counter() - start:.2f} s")
            for w in [0, 2]:
                print(f"FashionMNIST 60000, batch 64, num_workers {w}: {epoch_rate(fashion, 64, w, epochs=1):10.0f} images/s")


if __name__ == "__main__":
    main()
