# target: digits_cnn.py
# caught-by: evaluate
# No torch.no_grad(): every batch builds an autograd graph that is never used.
def evaluate(model, loader, loss_fn):
    model.eval()
    device = next(model.parameters()).device
    total, correct, count = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        total += loss_fn(logits, y).item() * len(y)
        correct += (logits.argmax(dim=1) == y).sum().item()
        count += len(y)
    return total / count, correct / count
