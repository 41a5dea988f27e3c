# target: digits_cnn.py
# caught-by: make_loader
# Shuffles with torch's global generator: the order changes from run to run whatever the seed.
from torch.utils.data import DataLoader, TensorDataset


def make_loader(x, y, batch_size, shuffle, seed=0):
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle)
