"""Issue 31, point 7: evaluate written as a widely used PyTorch tutorial's ``check_accuracy``.

``model.eval()`` first, every forward pass under ``torch.no_grad()``, and ``model.train()`` at the end so
that training can go on: good practice. Every forward pass runs in evaluation mode without a graph, which is
what the contract asks; the mode it leaves behind is not part of it.
"""

import torch


def evaluate(model, loader, loss_fn):
    device = next(model.parameters()).device
    num_correct, num_samples, total_loss = 0, 0, 0.0
    model.eval()
    with torch.no_grad():
        for x, y in loader:
            x = x.to(device=device)
            y = y.to(device=device)
            scores = model(x)
            total_loss += loss_fn(scores, y).item() * y.size(0)
            _, predictions = scores.max(1)
            num_correct += (predictions == y).sum().item()
            num_samples += predictions.size(0)
    model.train()
    return total_loss / num_samples, num_correct / num_samples
