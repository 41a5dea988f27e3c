# target: digits_cnn.py
# caught-by: train_epoch
# model.train() is never called, so a model left in evaluation mode trains in it (dropout and batch norm off).
def train_epoch(model, loader, optimizer, loss_fn):
    device = next(model.parameters()).device
    total, count = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count
