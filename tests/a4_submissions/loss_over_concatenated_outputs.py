"""Issue 26, case 1: the epoch's loss computed once, over the concatenated outputs.

train_epoch steps once per minibatch but keeps each batch's logits and works out the epoch loss
with one loss_fn call at the end; evaluate concatenates the logits of every batch and calls
loss_fn once. With nn.CrossEntropyLoss's mean reduction both equal Σ L(M)·|M| / N.
"""

import torch


def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    device = next(model.parameters()).device
    seen = []
    for x, y in loader:
        optimizer.zero_grad()
        logits = model(x.to(device))
        loss_fn(logits, y.to(device)).backward()
        optimizer.step()
        seen.append((logits.detach(), y.to(device)))
    logits, labels = (torch.cat(parts) for parts in zip(*seen))
    with torch.no_grad():
        return loss_fn(logits, labels).item()


def evaluate(model, loader, loss_fn):
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        batches = [(model(x.to(device)), y.to(device)) for x, y in loader]
        logits = torch.cat([b[0] for b in batches])
        labels = torch.cat([b[1] for b in batches])
        loss = loss_fn(logits, labels).item()
    accuracy = (logits.argmax(dim=1) == labels).float().mean().item()
    return loss, accuracy
