# target: digits_cnn.py
# A sampler of the student's own, with its own seeded generator, that draws a new permutation each epoch.
import torch
from torch.utils.data import DataLoader, Sampler, TensorDataset


class EpochShuffler(Sampler):
    """Every index once per epoch, in an order drawn from this sampler's own generator."""

    def __init__(self, count, seed):
        self.count, self.generator = count, torch.Generator().manual_seed(seed)

    def __iter__(self):
        return iter(torch.randperm(self.count, generator=self.generator).tolist())

    def __len__(self):
        return self.count


def make_loader(x, y, batch_size, shuffle, seed=0):
    sampler = EpochShuffler(len(y), seed) if shuffle else None
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, sampler=sampler)
