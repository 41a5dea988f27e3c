# target: digits_cnn.py
# caught-by: train_epoch
# The epoch loss is the last batch's loss.
def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    device = next(model.parameters()).device
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()
