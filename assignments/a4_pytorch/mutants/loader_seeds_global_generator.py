# target: digits_cnn.py
# caught-by: make_loader
# Seeds torch's global generator instead of giving the loader its own: the order then depends on whatever
# else draws from the global generator between making the loader and each pass over it.
import torch
from torch.utils.data import DataLoader, TensorDataset


def make_loader(x, y, batch_size, shuffle, seed=0):
    torch.manual_seed(seed)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle)
