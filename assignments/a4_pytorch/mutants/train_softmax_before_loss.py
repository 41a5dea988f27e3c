# target: digits_cnn.py
# caught-by: train_epoch
# Softmax applied before nn.CrossEntropyLoss, which applies log-softmax itself.
import torch


def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    device = next(model.parameters()).device
    total, count = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(torch.softmax(model(x), dim=1), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count
