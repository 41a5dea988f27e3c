# target: digits_cnn.py
# Concatenates each batch's loss, repeated once per sample, and averages the concatenation once at the end.
import torch


def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    device = next(model.parameters()).device
    losses = []
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.detach().expand(len(y)))
    return torch.cat(losses).mean().item()
