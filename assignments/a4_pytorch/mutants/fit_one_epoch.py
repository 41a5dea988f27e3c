# target: digits_cnn.py
# caught-by: fit
# fit trains for a single epoch at a small learning rate: the model is far from 95% accurate.
import torch
import torch.nn as nn


def fit(x, y, seed=0):
    torch.manual_seed(seed)
    model = DigitsCNN().to(x.device)
    loader = make_loader(x, y, batch_size=32, shuffle=True, seed=seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    train_epoch(model, loader, optimizer, nn.CrossEntropyLoss())
    return model
