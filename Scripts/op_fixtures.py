"""Shared helpers of the op fixture scripts (make_tensor_fixtures.py, make_nn_fixtures.py):
the JSON encoding of a tensor and the recording of one op case with its gradients."""
import torch


def enc(x):
    """A tensor as {"shape", "data"}; 9 significant digits round-trip float32 and keep JSON small."""
    return {"shape": list(x.shape), "data": [float(f"{v:.9g}") for v in x.detach().float().reshape(-1).tolist()]}


def record_case(cases, name, op, fn, inputs, args=None, grad=True):
    """Runs fn on float64 copies of inputs and appends the case: inputs, output, a seeded upstream
    gradient and the gradient of every input (computed by autograd)."""
    xs = [x.clone().requires_grad_(grad) for x in inputs]
    out = fn(*xs)
    if isinstance(out, tuple):
        out = out[0]
    entry = {"name": name, "op": op, "args": args or {}, "inputs": [enc(x) for x in xs], "output": enc(out)}
    if grad:
        g = torch.randn(out.shape, dtype=torch.float64).float().double()
        grads = torch.autograd.grad(out, xs, g, allow_unused=True)
        entry["gradOutput"] = enc(g)
        entry["grads"] = [enc(gx) if gx is not None else None for gx in grads]
    cases.append(entry)
