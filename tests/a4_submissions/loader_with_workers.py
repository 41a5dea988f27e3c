"""Issue 26, case 3: a DataLoader with worker processes, as a popular textbook's loader has it (num_workers=4)."""

import torch
from torch.utils.data import DataLoader, TensorDataset


def make_loader(x, y, batch_size, shuffle, seed=0):
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle, generator=generator,
                      num_workers=4)
