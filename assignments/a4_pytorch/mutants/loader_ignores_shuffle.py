# target: digits_cnn.py
# caught-by: make_loader
# shuffle is never passed on: the batches always come in the data's order, whatever the seed.
from torch.utils.data import DataLoader, TensorDataset


def make_loader(x, y, batch_size, shuffle, seed=0):
    return DataLoader(TensorDataset(x, y), batch_size=batch_size)
