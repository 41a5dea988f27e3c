# target: digits_cnn.py
# caught-by: make_loader
# Shuffles once, when the loader is made (a fixed permutation as its sampler): every epoch has the same order.
import torch
from torch.utils.data import DataLoader, TensorDataset


def make_loader(x, y, batch_size, shuffle, seed=0):
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed)).tolist() if shuffle else None
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, sampler=order)
