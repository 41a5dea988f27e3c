"""a4's grader trains the reference with torch.optim.SGD's update written out (harness.WrittenOutSGD), so it
never imports torch._dynamo: the two must give the same numbers, or the reference would judge wrongly."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.needs_torch

ROOT = Path(__file__).resolve().parent.parent
A4 = ROOT / "assignments" / "a4_pytorch"


@pytest.fixture(scope="module")
def harness():
    from autograder.course import load_modules

    return load_modules({"harness.py": A4 / "harness.py"}, prefix="nnhw_test_a4_harness")


def _train(harness, sgd, lr, momentum, steps):
    import torch

    model = harness.small_model(5)
    optimizer = sgd(model.parameters(), lr=lr, momentum=momentum)
    torch.default_generator.manual_seed(1)
    for _ in range(steps):
        x, y = torch.randn(6, 1, 8, 8), torch.randint(0, 10, (6,))
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model.state_dict()


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("lr", [0.05, 0.5])
def test_written_out_sgd_gives_torch_sgd_s_weights_bit_for_bit(harness, lr, momentum):
    import torch

    expected = _train(harness, torch.optim.SGD, lr, momentum, steps=4)
    got = _train(harness, harness.WrittenOutSGD, lr, momentum, steps=4)
    assert all(torch.equal(got[k], expected[k]) for k in expected)


def test_the_grader_s_reference_training_imports_no_torch_dynamo():
    script = f"""
import sys, torch
sys.path[:0] = [{str(A4)!r}, {str(ROOT / 'solutions' / 'a4_pytorch')!r}]
import harness, digits_cnn
x, y = torch.randn(9, 1, 8, 8), torch.randint(0, 10, (9,))
harness.run_train_epoch(x, y, 4, 0.1, 0.9, 3, train_epoch=digits_cnn.train_epoch)
print("torch._dynamo" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False", done.stderr
