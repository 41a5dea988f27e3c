# target: digits_cnn.py
# caught-by: make_loader
# Shuffles whether or not shuffle is asked for (evaluation should see the data in its order).
import torch
from torch.utils.data import DataLoader, TensorDataset


def make_loader(x, y, batch_size, shuffle, seed=0):
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                      generator=torch.Generator().manual_seed(seed))
