#!/usr/bin/env python3
"""Writes Tests/TrainingTests/Fixtures/small_cnn.json: PyTorch's reference for SwiftVision's
`small_cnn` (the model of /work/shared/bench/fashion_torch.py) and for its training step.

- "keys": state-dict keys and shapes of small_cnn(1 channel, 10 classes).
- "logits": logits of small_cnn(C, K) with formula weights on a formula input, for (C, K) in
  (1, 10) and (3, 7).
- "training": short training runs from formula weights over a fixed list of batches (so no
  random generator is shared), recording the loss of every step and the final weights of the
  last layer plus the logits of a fixed input after training. Each run follows the Trainer's
  recipe: per step zero_grad, forward (train mode), cross_entropy(label_smoothing), backward,
  optimizer.step, then scheduler.step per step (OneCycleLR) or per epoch (the others).

Formula (as Scripts/make_model_fixtures.py; the k-th state-dict entry, element i,
s = sin(0.37·i + 1.3·k)): rank ≥ 2 weights s / sqrt(fan_in); biases 0.1·s.
Input element i of a flattened (N, C, 28, 28) batch with offset o: sin(0.1·i + o).
Labels of a batch with offset o: (i + round(10·o)) % K for sample i.

Run: /tmp/torch-venv/bin/python Scripts/make_training_fixtures.py
"""
import json
import math
import os

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "TrainingTests", "Fixtures")


def small_cnn(c, k):
    return nn.Sequential(
        nn.Conv2d(c, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, k),
    )


def formula_fill(model):
    sd = model.state_dict()
    for k, (name, t) in enumerate(sd.items()):
        n = t.numel()
        s = torch.sin(0.37 * torch.arange(n, dtype=torch.float64) + 1.3 * k)
        if t.dim() >= 2:
            v = s / math.sqrt(t.shape[1] * math.prod(t.shape[2:]))
        else:
            v = 0.1 * s
        t.copy_(v.reshape(t.shape).to(t.dtype))
    model.load_state_dict(sd)


def formula_input(n, c, offset):
    count = n * c * 28 * 28
    return torch.sin(0.1 * torch.arange(count, dtype=torch.float64) + offset).float().reshape(n, c, 28, 28)


def formula_labels(n, k, offset):
    return torch.tensor([(i + round(10 * offset)) % k for i in range(n)])


def rounded(values):
    return [float(f"{v:.9g}") for v in values]


def training_run(name, optimizer, scheduler, epochs, batches, batch_size, classes, label_smoothing, lr):
    torch.manual_seed(0)
    model = small_cnn(1, classes)
    formula_fill(model)
    model.train()
    params = list(model.parameters())
    if optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=1e-4)
    else:
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    per_step = False
    if scheduler == "step":
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    elif scheduler == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * batches)
        per_step = True
    elif scheduler == "warmup_cosine":
        warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.01, total_iters=1)
        cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs - 1, eta_min=0)
        sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[1])
    loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    losses, lrs = [], []
    for epoch in range(epochs):
        for b in range(batches):
            offset = 0.3 * (epoch * batches + b) + 0.05
            x, y = formula_input(batch_size, 1, offset), formula_labels(batch_size, classes, offset)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if per_step:
                sched.step()
        lrs.append(opt.param_groups[0]["lr"])
        if not per_step:
            sched.step()
    model.eval()
    with torch.no_grad():
        logits = model(formula_input(2, 1, 0.7))
    return {"name": name, "optimizer": optimizer, "scheduler": scheduler, "epochs": epochs, "batches": batches,
            "batchSize": batch_size, "classes": classes, "labelSmoothing": label_smoothing, "lr": lr,
            "losses": rounded(losses), "lrAfterEpoch": lrs,
            "lastWeight": rounded(model[9].weight.reshape(-1).tolist()),
            "logits": rounded(logits.reshape(-1).tolist())}


def main():
    os.makedirs(OUT, exist_ok=True)
    keys = [[k, list(v.shape)] for k, v in small_cnn(1, 10).state_dict().items()]
    logits = []
    for c, k in [(1, 10), (3, 7)]:
        m = small_cnn(c, k).eval()
        formula_fill(m)
        with torch.no_grad():
            y = m(formula_input(2, c, 0.0))
        logits.append({"channels": c, "classes": k, "logits": rounded(y.reshape(-1).tolist())})
    training = [
        training_run("sgd_step", "sgd", "step", epochs=2, batches=3, batch_size=4, classes=4,
                     label_smoothing=0.1, lr=0.05),
        training_run("adamw_onecycle", "adamw", "onecycle", epochs=2, batches=3, batch_size=4, classes=4,
                     label_smoothing=0.0, lr=0.002),
        training_run("sgd_warmup_cosine", "sgd", "warmup_cosine", epochs=3, batches=2, batch_size=4, classes=4,
                     label_smoothing=0.0, lr=0.05),
    ]
    with open(os.path.join(OUT, "small_cnn.json"), "w") as f:
        json.dump({"generator": f"torch {torch.__version__}", "keys": keys, "logits": logits, "training": training},
                  f, separators=(",", ":"))
    print("wrote", os.path.normpath(os.path.join(OUT, "small_cnn.json")))


if __name__ == "__main__":
    main()
