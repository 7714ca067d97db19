#!/usr/bin/env python3
"""Writes the loss, optimizer and LR-scheduler fixtures of Tests/NNTests/Fixtures with PyTorch:

- losses.json: cross_entropy / nll_loss / mse_loss forward values and input gradients (class
  weights, label smoothing, ignore_index, every reduction, probability targets).
- optim.json: a tiny CNN's initial state dict, a fixed batch, and its parameters, BatchNorm
  buffers and loss after each of 3 training steps for several SGD / Adam / AdamW settings.
- schedulers.json: learning rates (and cycled momentum) over 30 steps of StepLR, MultiStepLR,
  CosineAnnealingLR, LinearLR, OneCycleLR and SequentialLR (warm-up then cosine / step).

Run: /tmp/torch-venv/bin/python Scripts/make_optim_fixtures.py
Floats are written with 9 significant digits (exact for float32); LRs with 17 (exact doubles).
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "NNTests", "Fixtures")
torch.manual_seed(2024)


def enc(x):
    return {"shape": list(x.shape), "data": [float(f"{v:.9g}") for v in x.detach().float().reshape(-1).tolist()]}


def write(name, obj):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


# ---------------------------------------------------------------------------------------------
# Losses (computed in float64 from float32-representable inputs).

loss_cases = []


def loss_case(name, kind, inp, target, args):
    x = inp.clone().requires_grad_(True)
    if kind == "cross_entropy":
        out = F.cross_entropy(x, target, weight=args.get("weight"), ignore_index=args.get("ignoreIndex", -100),
                              reduction=args["reduction"], label_smoothing=args.get("labelSmoothing", 0.0))
    elif kind == "nll":
        out = F.nll_loss(x, target, weight=args.get("weight"), ignore_index=args.get("ignoreIndex", -100),
                         reduction=args["reduction"])
    elif kind == "mse":
        out = F.mse_loss(x, target, reduction=args["reduction"])
    g = torch.randn(out.shape, dtype=torch.float64).float().double()
    (gx,) = torch.autograd.grad(out, [x], g)
    a = {k: (enc(v) if isinstance(v, torch.Tensor) else v) for k, v in args.items()}
    loss_cases.append({"name": name, "kind": kind, "args": a, "input": enc(inp), "target": enc(target),
                       "output": enc(out), "gradOutput": enc(g), "gradInput": enc(gx)})


def logits(*shape):
    return (torch.randn(shape, dtype=torch.float64) * 2).float().double()


N, C = 7, 5
tgt = torch.tensor([0, 3, 4, 1, 3, 2, 4])
tgt_ign = torch.tensor([0, 3, -100, 1, 3, -100, 4])
tgt_ign2 = torch.tensor([0, 3, 2, 1, 3, 2, 4])
w = (torch.rand(C, dtype=torch.float64) * 2 + 0.1).float().double()
for red in ["mean", "sum", "none"]:
    loss_case(f"ce_{red}", "cross_entropy", logits(N, C), tgt, {"reduction": red})
    loss_case(f"ce_weight_{red}", "cross_entropy", logits(N, C), tgt, {"reduction": red, "weight": w})
    loss_case(f"ce_smooth_{red}", "cross_entropy", logits(N, C), tgt, {"reduction": red, "labelSmoothing": 0.1})
    loss_case(f"ce_weight_smooth_ignore_{red}", "cross_entropy", logits(N, C), tgt_ign,
              {"reduction": red, "weight": w, "labelSmoothing": 0.2})
    loss_case(f"ce_smooth_ignore2_{red}", "cross_entropy", logits(N, C), tgt_ign2,
              {"reduction": red, "labelSmoothing": 0.15, "ignoreIndex": 2})
    loss_case(f"nll_weight_ignore_{red}", "nll", torch.log_softmax(logits(N, C), 1), tgt_ign,
              {"reduction": red, "weight": w})
    loss_case(f"mse_{red}", "mse", logits(3, 4), logits(3, 4), {"reduction": red})
# Spatial targets: logits [N, C, H, W], targets [N, H, W].
loss_case("ce_spatial_weight_smooth_mean", "cross_entropy", logits(2, 3, 2, 3), torch.randint(0, 3, (2, 2, 3)),
          {"reduction": "mean", "weight": w[:3], "labelSmoothing": 0.1})
# Probability targets (soft labels), with weights and smoothing.
soft = torch.softmax(logits(N, C), 1).float().double()
for red in ["mean", "none"]:
    loss_case(f"ce_probs_weight_smooth_{red}", "cross_entropy", logits(N, C), soft,
              {"reduction": red, "weight": w, "labelSmoothing": 0.1})
write("losses.json", {"cases": loss_cases})

# ---------------------------------------------------------------------------------------------
# Optimizer trajectories on a tiny CNN (float32, as training runs).


def tiny_cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 4 * 4, 3))


torch.manual_seed(7)
template = tiny_cnn()
initial = {k: v.clone() for k, v in template.state_dict().items()}
x = torch.randn(6, 1, 8, 8)
y = torch.tensor([0, 1, 2, 0, 1, 2])

# Adam runs use eps=1e-3: the conv bias sits right before BatchNorm, so its true gradient is 0 and
# both frameworks compute float noise (~1e-8); with the default eps=1e-8 Adam would turn that noise
# into lr-sized steps that no two implementations agree on. eps=1e-3 keeps the formula under test.
runs = []
configs = [
    ("sgd_plain", "sgd", dict(lr=0.1)),
    ("sgd_momentum_wd", "sgd", dict(lr=0.1, momentum=0.9, weight_decay=1e-3)),
    ("sgd_nesterov_wd", "sgd", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)),
    ("sgd_dampening_maximize", "sgd", dict(lr=0.05, momentum=0.8, dampening=0.3, maximize=True)),
    ("adam", "adam", dict(lr=1e-2, eps=1e-3)),
    ("adam_wd_amsgrad", "adam", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-3, weight_decay=1e-2, amsgrad=True)),
    ("adamw", "adamw", dict(lr=1e-2, eps=1e-3, weight_decay=0.05)),
    ("adamw_amsgrad_smooth", "adamw", dict(lr=5e-3, eps=1e-3, weight_decay=0.1, amsgrad=True)),
]
for name, kind, kw in configs:
    model = tiny_cnn()
    model.load_state_dict(initial)
    model.train()
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[kind]
    opt = cls(model.parameters(), foreach=False, **kw)
    smoothing = 0.1 if name.endswith("smooth") else 0.0
    steps = []
    for _ in range(3):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y, label_smoothing=smoothing)
        loss.backward()
        opt.step()
        sd = model.state_dict()
        steps.append({"loss": float(f"{loss.item():.9g}"),
                      "state": {k: enc(v.float()) for k, v in sd.items()}})
    args = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
    runs.append({"name": name, "optimizer": kind, "args": args, "labelSmoothing": smoothing, "steps": steps})

write("optim.json", {
    "initial": [[k, enc(v.float())] for k, v in initial.items()],
    "input": enc(x), "targets": y.tolist(), "runs": runs,
})

# ---------------------------------------------------------------------------------------------
# LR schedulers: lr (and momentum / beta1) right after construction and after each of 30 steps.

S = torch.optim.lr_scheduler
sched_cases = []


def sched_case(name, kind, opt_kind, args, make):
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9) if opt_kind == "sgd" else torch.optim.Adam([p], lr=0.1)
    sched = make(opt)
    lrs, moms = [], []

    def record():
        lrs.append(sched.get_last_lr()[0])
        g = opt.param_groups[0]
        moms.append(g["momentum"] if opt_kind == "sgd" else g["betas"][0])

    record()
    for _ in range(30):
        opt.step()
        sched.step()
        record()
    sched_cases.append({"name": name, "kind": kind, "optimizer": opt_kind, "args": args,
                        "lrs": lrs, "momentums": moms})


sched_case("step", "step", "sgd", {"stepSize": 7, "gamma": 0.5}, lambda o: S.StepLR(o, 7, gamma=0.5))
sched_case("multistep", "multistep", "sgd", {"milestones": [5, 12, 12, 20], "gamma": 0.3},
           lambda o: S.MultiStepLR(o, [5, 12, 12, 20], gamma=0.3))
sched_case("cosine_periodic", "cosine", "sgd", {"tMax": 10, "etaMin": 0.001},
           lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001))
sched_case("cosine", "cosine", "sgd", {"tMax": 30, "etaMin": 0.0}, lambda o: S.CosineAnnealingLR(o, T_max=30))
sched_case("linear_warmup", "linear", "sgd", {"startFactor": 0.1, "endFactor": 1.0, "totalIters": 8},
           lambda o: S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=8))
sched_case("linear_decay", "linear", "sgd", {"startFactor": 1.0, "endFactor": 0.25, "totalIters": 12},
           lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.25, total_iters=12))
sched_case("onecycle_cos_sgd", "onecycle", "sgd", {"maxLR": 0.5, "totalSteps": 30, "pctStart": 0.3,
                                                   "anneal": "cos", "divFactor": 25.0, "finalDivFactor": 1e4},
           lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=30))
sched_case("onecycle_linear_adam", "onecycle", "adam",
           {"maxLR": 0.02, "totalSteps": 30, "pctStart": 0.25, "anneal": "linear", "divFactor": 10.0,
            "finalDivFactor": 100.0, "baseMomentum": 0.8, "maxMomentum": 0.9},
           lambda o: S.OneCycleLR(o, max_lr=0.02, total_steps=30, pct_start=0.25, anneal_strategy="linear",
                                  div_factor=10.0, final_div_factor=100.0, base_momentum=0.8, max_momentum=0.9))
sched_case("warmup_then_cosine", "sequential", "sgd",
           {"children": [{"kind": "linear", "startFactor": 0.01, "endFactor": 1.0, "totalIters": 5},
                         {"kind": "cosine", "tMax": 25, "etaMin": 0.0}], "milestones": [5]},
           lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.01, total_iters=5),
                                        S.CosineAnnealingLR(o, T_max=25)], milestones=[5]))
sched_case("warmup_step_multistep", "sequential", "sgd",
           {"children": [{"kind": "linear", "startFactor": 0.2, "endFactor": 1.0, "totalIters": 4},
                         {"kind": "step", "stepSize": 3, "gamma": 0.7},
                         {"kind": "multistep", "milestones": [2, 6], "gamma": 0.5}], "milestones": [4, 15]},
           lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.2, total_iters=4), S.StepLR(o, 3, gamma=0.7),
                                        S.MultiStepLR(o, [2, 6], gamma=0.5)], milestones=[4, 15]))
write("schedulers.json", {"cases": sched_cases})
print(f"{len(loss_cases)} loss cases, {len(runs)} optimizer runs, {len(sched_cases)} scheduler cases")
