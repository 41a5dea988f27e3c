# target: digits_cnn.py
# caught-by: DigitsCNN
# forward returns log-probabilities (log_softmax of the logits) instead of the logits.
import torch.nn.functional as F

_LogitsCNN = DigitsCNN  # noqa: F821 - the solution's, defined above this code in the mutant's submission


class DigitsCNN(_LogitsCNN):
    def forward(self, x):
        return F.log_softmax(super().forward(x), dim=1)
