"""Issue 26, case 4: shuffling with a sampler that is given torch.Generator().manual_seed(seed).

The same seed gives the same batches on every run, as the docstring asks; the order differs from
DataLoader(shuffle=True, generator=...)'s, which draws once from its generator before shuffling.
"""

import torch
from torch.utils.data import DataLoader, RandomSampler, TensorDataset


def make_loader(x, y, batch_size, shuffle, seed=0):
    dataset = TensorDataset(x, y)
    if not shuffle:
        return DataLoader(dataset, batch_size=batch_size)
    sampler = RandomSampler(dataset, generator=torch.Generator().manual_seed(seed))
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler)
