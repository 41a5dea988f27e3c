# Cheating (assignment 2): torch inside one function (train_mlp, which no other function calls),
# where the assignment blocks torch.
def train_mlp(x, y, weights, biases, activation, output_activation, loss, lr, epochs, batch_size):
    import torch  # noqa: F401

    raise AssertionError("unreachable: torch was imported")
