# target: digits_cnn.py
# caught-by: train_epoch
# The epoch loss is worked out after the last step, with the trained weights, over the whole epoch's data:
# not the losses the steps were taken on.
import torch


def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    device = next(model.parameters()).device
    inputs, targets = [], []
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
        inputs.append(x)
        targets.append(y)
    with torch.no_grad():
        return loss_fn(model(torch.cat(inputs)), torch.cat(targets)).item()
