"""Parts of an answer that holds more than the graded value: CS231n's ``(out, cache)`` pattern.

A forward function returns ``(out, cache)`` and its backward takes that cache back. The cache is each
student's own design (what to keep, in which order), so a test grades ``out`` and the backward's results,
never the cache itself; the backward is called with the cache the student's own forward returned::

    check = Check("affine_backward", {"h": h, "W": W, "b": b, "dz": dz}, outputs=("dh", "dW", "db"))
    cache = item(check, call(student, check, "affine_forward", h, W, b), 1, "(z, cache)")
    got = call(student, check, "affine_backward", dz, cache)

The cache crosses from the student's worker to the grader and back as data, so it must be arrays, numbers,
strings and tuples, lists and string-keyed dicts of them (the handout says so).
"""

from autograder.check import describe


def item(check, answer, index, contract):
    """``answer[index]``, where ``contract`` (``"(z, cache)"``) is what the function returns; any other answer
    fails ``check`` naming the contract."""
    count = contract.strip("()").count(",") + 1
    if not isinstance(answer, (tuple, list)) or len(answer) != count:
        check.fail(f"should return {contract}, a tuple of {count} items, got {describe(answer)}")
    return answer[index]
