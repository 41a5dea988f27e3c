"""Issue 26, case 2: evaluate computes the logits under torch.no_grad() and calls loss_fn just outside it.

No graph is built: the logits come from a no_grad block, so the loss computed from them does
not require gradients either.
"""

import torch


def evaluate(model, loader, loss_fn):
    model.eval()
    device = next(model.parameters()).device
    losses, hits = [], 0
    for x, y in loader:
        with torch.no_grad():
            logits = model(x.to(device))
        y = y.to(device)
        losses.append(loss_fn(logits, y).item() * len(y))
        hits += (logits.argmax(dim=1) == y).sum().item()
    n = len(loader.dataset)
    return sum(losses) / n, hits / n
