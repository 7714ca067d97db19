#!/usr/bin/env python3
"""Whole-model inference: ONNX Runtime, PyTorch eager and SwiftVision (`vision bench models`) on the
same work, in the same run, 2 threads, random weights (torch.manual_seed(0)), eval mode without
autograd. Each round runs ORT, then torch, then SwiftVision on a case, every one in a fresh process
(so no thread pool lingers between them) and a noisy neighbour slows all three; the table holds the
median over rounds of each round's median, ratios (latency: lower is better) and GFLOP/s.

    /tmp/torch-venv/bin/python Scripts/bench_inference.py [--models resnet18,resnet50,vgg16] [--batches 1,16]
                                                          [--size 224] [--rounds 3] [--runs 10] [--json]
                                                          [--wait-quiet SECONDS]

ORT runs the torchvision model exported by torch.onnx.export (opset 17, dynamic batch axis, the
TorchScript exporter), cached in /tmp/swiftvision-onnx/; CPUExecutionProvider, intra-op 2 threads,
inter-op 1, ORT_ENABLE_ALL. torch: torch.set_num_threads(2), torch.inference_mode(). SwiftVision:
VISION_NUM_THREADS=2 (VISION_ISA, if set, is passed through). GFLOP per image = 2 x the MACs of the
model's Conv2d and Linear layers (forward hooks), so any size and torchvision classifier works.
Without onnxruntime or torch in the interpreter their columns are skipped. The `other` column is
the share of the machine's CPU time that other processes used during the case (from /proc/stat; the
machine is shared, so compare ratios in one run); --wait-quiet waits for a quiet machine first.

Needs a release build (`swift build -c release`).
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
VISION = os.path.join(ROOT, ".build", "release", "vision")
ONNX_CACHE = "/tmp/swiftvision-onnx"
THREADS = 2
RUNTIMES = ("ort", "torch", "vision")
LABELS = {"ort": "ORT", "torch": "torch", "vision": "SwiftVision"}


# ----------------------------------------------------------------------------------------------
# Workers: `--worker KIND ...` runs in its own process and prints one JSON line on stdout.

def timed(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return {"medianSeconds": statistics.median(ts), "minSeconds": min(ts), "runs": runs}


def worker_probe(args):
    """Which of the runtimes this interpreter can import, and their versions."""
    out = {}
    for name in ("torch", "torchvision", "onnxruntime", "onnx"):
        try:
            out[name] = __import__(name).__version__
        except Exception as e:  # ImportError, or a broken install
            out[name] = None
            out[name + "_error"] = f"{type(e).__name__}: {e}"
    return out


def build_model(name):
    import torch
    import torchvision
    torch.manual_seed(0)
    return torchvision.models.get_model(name, weights=None).eval()


def count_flops(model, size):
    """2 x multiply-accumulates of Conv2d and Linear layers for one size x size image."""
    import torch
    import torch.nn as nn
    macs = [0]

    def hook(mod, inp, out):
        if isinstance(mod, nn.Conv2d):
            k = mod.kernel_size[0] * mod.kernel_size[1] * (mod.in_channels // mod.groups)
            macs[0] += out.numel() * k
        elif isinstance(mod, nn.Linear):
            macs[0] += out.numel() * mod.in_features

    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.inference_mode():
            model(torch.zeros(1, 3, size, size))
    finally:
        for h in hooks:
            h.remove()
    return 2 * macs[0]


def onnx_path(model, size):
    return os.path.join(ONNX_CACHE, f"{model}-{size}.onnx")


def worker_prep(args):
    """Per model: GFLOP per image, and the ONNX export (cached) when ORT will run."""
    import inspect
    import torch
    torch.set_num_threads(THREADS)
    m = build_model(args.models)
    out = {"model": args.models, "size": args.size, "flopsPerImage": count_flops(m, args.size)}
    if args.export:
        path = onnx_path(args.models, args.size)
        if not os.path.exists(path):
            os.makedirs(ONNX_CACHE, exist_ok=True)
            tmp = f"{path}.{os.getpid()}.tmp"
            kw = dict(input_names=["input"], output_names=["logits"], opset_version=17,
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
            if "dynamo" in inspect.signature(torch.onnx.export).parameters:
                kw["dynamo"] = False  # the TorchScript exporter: no onnxscript needed, one file
            torch.onnx.export(m, (torch.rand(1, 3, args.size, args.size),), tmp, **kw)
            os.replace(tmp, path)  # atomic: a failed export leaves no half-written cache entry
            out["exported"] = True
        out["onnx"] = path
    return out


def worker_torch(args):
    import torch
    torch.set_num_threads(THREADS)
    m = build_model(args.models)
    x = torch.rand(args.batches, 3, args.size, args.size) * 4 - 2
    with torch.inference_mode():
        r = timed(lambda: m(x), args.runs, args.warmup)
    r["threads"] = torch.get_num_threads()
    return r


def worker_ort(args):
    import numpy as np
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = THREADS
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(onnx_path(args.models, args.size), so, providers=["CPUExecutionProvider"])
    x = (np.random.default_rng(0).random((args.batches, 3, args.size, args.size), dtype=np.float32) * 4 - 2)
    feed = {sess.get_inputs()[0].name: x}
    r = timed(lambda: sess.run(None, feed), args.runs, args.warmup)
    r["providers"] = sess.get_providers()
    return r


WORKERS = {"probe": worker_probe, "prep": worker_prep, "torch": worker_torch, "ort": worker_ort}


# ----------------------------------------------------------------------------------------------
# Driver

def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run_worker(kind, model="", batch=1, size=224, runs=1, warmup=1, export=False):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", kind, "--models", model,
           "--batches", str(batch), "--size", str(size), "--runs", str(runs), "--warmup", str(warmup)]
    if export:
        cmd.append("--export")
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        tail = "\n    ".join(p.stderr.strip().splitlines()[-5:])
        log(f"  {kind} worker failed ({model} b{batch}, exit {p.returncode}):\n    {tail}")
        return None
    return json.loads(p.stdout.strip().splitlines()[-1])


def run_vision(model, batch, size, runs, tries=6):
    """`vision bench models ... --json`, retried while the binary is missing (being rebuilt)."""
    cmd = [VISION, "bench", "models", "--models", model, "--batches", str(batch), "--size", str(size),
           "--runs", str(runs), "--json"]
    env = dict(os.environ, VISION_NUM_THREADS=str(THREADS))
    for attempt in range(1, tries + 1):
        if not os.path.exists(VISION):
            log(f"  {VISION} missing (rebuild?), retry {attempt}/{tries} in 10 s")
            time.sleep(10)
            continue
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        except OSError as e:  # e.g. ETXTBSY while the linker writes it
            log(f"  cannot run vision ({e}), retry {attempt}/{tries} in 10 s")
            time.sleep(10)
            continue
        if p.returncode == 0:
            return json.loads(p.stdout.strip().splitlines()[-1])
        tail = "\n    ".join(p.stderr.strip().splitlines()[-5:])
        log(f"  vision failed ({model} b{batch}, exit {p.returncode}), retry {attempt}/{tries}:\n    {tail}")
        time.sleep(5)
    return None


def cpu_model():
    """The model name with its family and model numbers (a VM's brand string may be just "AMD EPYC")."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("model name", "cpu family", "model") and key not in fields:
                    fields[key] = value.strip()
                if not line.strip() and fields:
                    break  # first processor only
    except OSError:
        pass
    name = fields.get("model name", "unknown")
    if "cpu family" in fields and "model" in fields:
        name += f" (family {fields['cpu family']} model {fields['model']})"
    return name


def isa_label(vision_rec):
    if vision_rec:
        for key in ("isa", "ISA", "kernelISA"):
            if vision_rec.get(key):
                return str(vision_rec[key])
    env = os.environ.get("VISION_ISA")
    if env:
        return f"{env} (VISION_ISA)"
    hint = cpu_isa_hint()
    return f"best ({hint} by /proc/cpuinfo flags)" if hint else "best"


def cpu_isa_hint():
    """The widest SwiftVision kernel path the CPU flags allow (the binary also checks the OS, XCR0)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((set(l.split(":", 1)[1].split()) for l in f if l.startswith("flags")), set())
    except OSError:
        return None
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= flags:
        return "avx512"
    if {"avx2", "fma"} <= flags:
        return "avx2"
    return "portable" if flags else None


def busy_seconds():
    """CPU seconds used by everything on the machine so far (aggregate /proc/stat line)."""
    try:
        with open("/proc/stat") as f:
            v = list(map(int, f.readline().split()[1:8]))
        return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return None


def own_seconds():
    import resource
    r, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


class OtherLoad:
    """Share of the machine's CPU time that other processes used during the block (0 = clean)."""

    def __enter__(self):
        self.b0, self.o0, self.t0 = busy_seconds(), own_seconds(), time.monotonic()
        return self

    def __exit__(self, *exc):
        self.wall = time.monotonic() - self.t0
        b1 = busy_seconds()
        self.frac = None
        if self.b0 is not None and b1 is not None and self.wall > 0:
            foreign = (b1 - self.b0) - (own_seconds() - self.o0)
            self.frac = max(foreign, 0.0) / (self.wall * (os.cpu_count() or 1))
        return False


def wait_quiet(max_wait, thresh=0.05, window=2.0):
    """Wait (at most max_wait s) until other processes use < thresh of the machine for window s."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < max_wait:
        with OtherLoad() as load:
            time.sleep(window)
        if load.frac is None or load.frac < thresh:
            return time.monotonic() - t0
    return -(time.monotonic() - t0)


def fmt(v, width, prec=1):
    return f"{v:{width}.{prec}f}" if v is not None else f"{'-':>{width}s}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="resnet18,resnet50,vgg16")
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--runs", type=int, default=10, help="timed runs per case and round (after warm-up)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="one JSON object per case instead of the table")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="S",
                    help="before each case wait up to S seconds for other processes to leave the CPUs (default 0: off)")
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--warmup", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--export", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        if args.worker != "probe":
            args.batches = int(args.batches.split(",")[0])
        print(json.dumps(WORKERS[args.worker](args)), flush=True)
        return

    models = [m for m in args.models.split(",") if m]
    batches = [int(b) for b in args.batches.split(",") if b]
    say = log if args.json else print  # with --json, stdout carries only the case objects

    versions = run_worker("probe") or {}
    have = {"torch": bool(versions.get("torch") and versions.get("torchvision")),
            "ort": bool(versions.get("onnxruntime")),
            "vision": os.path.exists(VISION)}
    if not have["torch"]:
        say(f"PyTorch/torchvision not importable ({versions.get('torch_error') or versions.get('torchvision_error')}):"
            " skipping torch columns and GFLOP counts")
    if not have["ort"]:
        say(f"onnxruntime not importable ({versions.get('onnxruntime_error')}): skipping ORT columns")
    elif not have["torch"]:
        missing = [m for m in models if not os.path.exists(onnx_path(m, args.size))]
        if missing:
            say(f"no torch to export {','.join(missing)} to ONNX and no cached file: ORT skips those models")
    if not have["vision"]:
        say(f"{VISION} not found (swift build -c release): skipping SwiftVision columns")

    # Per model: FLOPs and the ONNX file (one torch process each, before any timing).
    flops, ort_ok = {}, {}
    for m in models:
        prep = run_worker("prep", m, size=args.size, export=have["ort"]) if have["torch"] else None
        flops[m] = prep["flopsPerImage"] if prep else None
        ort_ok[m] = have["ort"] and os.path.exists(onnx_path(m, args.size))

    loads = []  # (share of the machine other processes used, wall seconds) per case
    header_done = False
    ver = ", ".join(f"{k} {versions[k]}" for k in ("onnxruntime", "torch") if versions.get(k))
    for m in models:
        for b in batches:
            per = {rt: [] for rt in RUNTIMES}
            vision_rec = None
            waited = wait_quiet(args.wait_quiet) if args.wait_quiet > 0 else None
            if waited is not None and waited < 0:
                say(f"  machine still busy after {-waited:.0f} s; measuring {m} b{b} anyway")
            with OtherLoad() as load:
                for _ in range(args.rounds):
                    if ort_ok[m]:
                        r = run_worker("ort", m, b, args.size, args.runs)
                        if r:
                            per["ort"].append(r["medianSeconds"])
                    if have["torch"]:
                        r = run_worker("torch", m, b, args.size, args.runs)
                        if r:
                            per["torch"].append(r["medianSeconds"])
                    if have["vision"]:
                        r = run_vision(m, b, args.size, args.runs)
                        if r:
                            vision_rec = vision_rec or r
                            per["vision"].append(r["medianSeconds"])
            if load.frac is not None:
                loads.append((load.frac, load.wall))
            med = {rt: statistics.median(v) if v else None for rt, v in per.items()}
            fl = flops[m]

            def ratio(a, c):
                return med[a] / med[c] if med[a] and med[c] else None

            rec = {"model": m, "batch": b, "size": args.size, "threads": THREADS, "runs": args.runs,
                   "rounds": args.rounds, "gflopPerImage": fl / 1e9 if fl else None,
                   "isa": isa_label(vision_rec)}
            for rt in RUNTIMES:
                rec[f"{rt}Ms"] = med[rt] * 1e3 if med[rt] else None
                rec[f"{rt}RoundsMs"] = [round(s * 1e3, 3) for s in per[rt]]
                rec[f"{rt}ImgPerS"] = b / med[rt] if med[rt] else None
                rec[f"{rt}GflopPerS"] = fl * b / med[rt] / 1e9 if med[rt] and fl else None
            rec["visionOverOrt"] = ratio("vision", "ort")
            rec["visionOverTorch"] = ratio("vision", "torch")
            rec["otherCpuFrac"] = round(load.frac, 3) if load.frac is not None else None
            if waited is not None:
                rec["waitedSeconds"] = round(waited, 1)

            if args.json:
                print(json.dumps(rec), flush=True)
                continue
            if not header_done:
                print(f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, CPU {cpu_model()}, "
                      f"SwiftVision ISA {isa_label(vision_rec)}, {THREADS} threads ({ver or 'no python runtimes'})")
                print(f"latency = median over {args.rounds} alternating rounds (ORT, torch, SwiftVision) of "
                      f"per-round medians of {args.runs} runs; ratios < 1: SwiftVision faster; img/s for batch > 1")
                print(f"{'model':10s} {'batch':>5s} {'GFLOP/img':>9s} | {'ORT ms':>8s} {'torch ms':>8s} {'SV ms':>8s} | "
                      f"{'SV/ORT':>6s} {'SV/torch':>8s} | {'ORT img/s':>9s} {'torch img/s':>11s} {'SV img/s':>8s} | "
                      f"{'ORT GF/s':>8s} {'torch GF/s':>10s} {'SV GF/s':>7s} | {'other':>5s}")
                header_done = True
            ips = (lambda rt: rec[f"{rt}ImgPerS"]) if b > 1 else (lambda rt: None)
            print(f"{m:10s} {b:5d} {fmt(rec['gflopPerImage'], 9, 2)} | {fmt(rec['ortMs'], 8)} {fmt(rec['torchMs'], 8)} "
                  f"{fmt(rec['visionMs'], 8)} | {fmt(rec['visionOverOrt'], 6, 2)} {fmt(rec['visionOverTorch'], 8, 2)} | "
                  f"{fmt(ips('ort'), 9)} {fmt(ips('torch'), 11)} {fmt(ips('vision'), 8)} | "
                  f"{fmt(rec['ortGflopPerS'], 8)} {fmt(rec['torchGflopPerS'], 10)} {fmt(rec['visionGflopPerS'], 7)} | "
                  f"{f'{load.frac:5.0%}' if load.frac is not None else '    -'}",
                  flush=True)

    if loads:
        wall = sum(w for _, w in loads)
        frac = sum(f * w for f, w in loads) / wall
        note = ": the numbers are inflated, torch's most (its OpenMP threads wait on busy cores)" if frac > 0.1 else ""
        say(f"other = share of the machine's CPU time used by other processes; {frac:.0%} over the "
            f"{wall:.0f} s of timing{note}")


if __name__ == "__main__":
    main()
