# target: digits_cnn.py
# caught-by: evaluate
# model.eval() is missing: dropout and batch norm would still act as in training.
import torch


def evaluate(model, loader, loss_fn):
    device = next(model.parameters()).device
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += loss_fn(logits, y).item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += len(y)
    return total / count, correct / count
