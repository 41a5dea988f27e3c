# target: digits_cnn.py
# caught-by: evaluate
# The loss is the mean of the batch means, so a short last batch weighs as much as a full one.
import torch


def evaluate(model, loader, loss_fn):
    model.eval()
    device = next(model.parameters()).device
    losses, correct, count = [], 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            losses.append(loss_fn(logits, y).item())
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += len(y)
    return sum(losses) / len(losses), correct / count
