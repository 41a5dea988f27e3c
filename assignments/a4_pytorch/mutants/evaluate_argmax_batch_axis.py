# target: digits_cnn.py
# caught-by: evaluate
# argmax over the batch axis (dim=0) instead of the classes.
import torch


def evaluate(model, loader, loss_fn):
    model.eval()
    device = next(model.parameters()).device
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += loss_fn(logits, y).item() * len(y)
            correct += (logits.argmax(dim=0)[:len(y)] == y).sum().item()
            count += len(y)
    return total / count, correct / count
