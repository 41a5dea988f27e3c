import io
import json
import pickle

import numpy as np
import pytest

from autograder import protocol

try:
    import torch
except ImportError:  # CI's Python 3.10 run has no torch: the tensor tests skip there
    torch = None


def roundtrip(value):
    data = protocol.pack({"ok": True}, value)
    stream = io.BytesIO(data)
    message, decoded = protocol.unpack(stream.read, make_tensor=lambda a, dt, dev, rg: torch.from_numpy(a))
    return message, decoded


def test_nested_values_survive_as_data():
    value = {"arrays": [np.arange(6.0).reshape(2, 3), np.float32(1.5)], "pair": (1, "two"), "nan": float("nan"),
             "inf": float("-inf"), "none": None, "flag": True}
    _, decoded = roundtrip(value)
    assert np.array_equal(decoded["arrays"][0], value["arrays"][0])
    assert decoded["arrays"][1].dtype == np.float32 and decoded["arrays"][1] == np.float32(1.5)
    assert decoded["pair"] == (1, "two") and isinstance(decoded["pair"], tuple)
    assert np.isnan(decoded["nan"]) and decoded["inf"] == float("-inf")
    assert decoded["none"] is None and decoded["flag"] is True


@pytest.mark.needs_torch
def test_tensors_carry_dtype_and_device():
    blobs = []
    encoded = protocol.encode(torch.ones(2, dtype=torch.float32, requires_grad=True), lambda a: blobs.append(a) or 0)
    assert encoded["dtype"] == "float32" and encoded["device"] == "cpu" and encoded["requires_grad"] is True


@pytest.mark.parametrize("value, what", [
    (np.array([object()], dtype=object), "dtype object"),
    (object(), "object of type object"),
    ({1: 2}, "keys are not all strings"),
])
def test_values_that_are_not_data_are_refused(value, what):
    with pytest.raises(protocol.ProtocolError, match=what):
        protocol.pack({"ok": True}, value)


def frame(header, payload=b""):
    return protocol._HEADER.pack(len(header)) + header + payload


def test_pickled_payload_is_never_unpickled():
    class Boom:
        def __reduce__(self):
            return (print, ("pwned",))

    evil = pickle.dumps(Boom())
    for dtype in ("|O", "|V8", "<f8x", "object"):  # an object array, a record, junk: refused before any read
        header = f'{{"value": {{"__ndarray__": 0}}, "arrays": [["{dtype}", [{len(evil)}]]], "blobs": [{len(evil)}]}}'
        with pytest.raises(protocol.ProtocolError, match="not a plain numeric array"):
            protocol.unpack(io.BytesIO(frame(header.encode(), evil)).read)


def test_oversized_and_malformed_messages_are_refused():
    huge = protocol._HEADER.pack(protocol.MAX_MESSAGE_BYTES + 1)
    with pytest.raises(protocol.ProtocolError, match="header"):
        protocol.unpack(io.BytesIO(huge).read)
    with pytest.raises(protocol.ProtocolError, match="not JSON"):
        protocol.unpack(io.BytesIO(frame(b"not json")).read)
    bad_ref = b'{"value": {"__ndarray__": 3}, "arrays": [], "blobs": []}'
    with pytest.raises(protocol.ProtocolError, match="missing array"):
        protocol.unpack(io.BytesIO(frame(bad_ref)).read)
    short = b'{"value": {"__ndarray__": 0}, "arrays": [["<f8", [2, 2]]], "blobs": [8]}'
    with pytest.raises(protocol.ProtocolError, match="cannot be 8 bytes"):
        protocol.unpack(io.BytesIO(frame(short, bytes(8))).read)
    for sizes in ('["8"]', "[-1]", "[8, 8]", f"[{protocol.MAX_MESSAGE_BYTES + 1}]"):
        header = f'{{"value": null, "arrays": [["<f8", [1]]], "blobs": {sizes}}}'.encode()
        with pytest.raises(protocol.ProtocolError):
            protocol.unpack(io.BytesIO(frame(header, bytes(8))).read)


@pytest.mark.parametrize("value", [
    np.array(3.5), np.float32(1.25), np.arange(12.0).reshape(3, 4).T, np.zeros((0, 3)),
    np.array([1, 2], dtype=">i4"), np.array([True, False]), np.arange(4, dtype=np.complex128),
    np.full((2, 1, 3), np.nan, dtype=np.float16)])
def test_arrays_come_back_with_their_dtype_shape_and_values(value):
    """0-d arrays stay 0-d and numpy scalars stay scalars (a ``.npy`` of a contiguous copy made them 1-d)."""
    _, back = protocol.unpack(io.BytesIO(protocol.pack({"ok": True}, value)).read)
    assert type(back) is type(value) and np.shape(back) == np.shape(value) and np.asarray(back).dtype == value.dtype
    assert np.array_equal(back, value, equal_nan=value.dtype.kind == "f")
    if isinstance(back, np.ndarray):
        back[...] = 0  # writable, and not a view of the message


def test_json_fixture_form_roundtrips_exactly():
    value = [{"x": np.random.default_rng(0).normal(size=(2, 3)), "k": (3, 1)}]
    back = protocol.from_json_data(protocol.to_json_data(value))
    assert np.array_equal(back[0]["x"], value[0]["x"]) and back[0]["k"] == (3, 1)


# -- the vocabulary ------------------------------------------------------------------------------------
def test_an_answer_travels_as_data_and_comes_back_whole():
    """The worker sends ``Answer.to_value()``; the grader rebuilds the same answer from what arrives."""
    from autograder.protocol import Answer

    sent = Answer(result=np.arange(3.0), mutated=("0", "bias"), grads=[np.ones(2)], param_grads={"w": np.zeros(1)})
    _, value = protocol.unpack(io.BytesIO(protocol.pack({"ok": True}, sent.to_value())).read)
    got = Answer.from_value(value)
    assert np.array_equal(got.result, sent.result) and got.mutated == sent.mutated
    assert np.array_equal(got.grads[0], np.ones(2)) and np.array_equal(got.param_grads["w"], np.zeros(1))
    assert got.seconds is None and got.handle is None
    assert set(Answer(handle=3).to_value()) == {"result", "mutated", "handle"}  # only the fields it has


def test_error_kinds_are_plain_strings_on_the_wire():
    """An ErrorKind is sent as its string, and the string a reply carries is recognised again (an Enum member
    hashes by its name, so a set of members would not contain the string it equals)."""
    from autograder.protocol import INPUT_INDEPENDENT, ErrorKind, Op, error_report

    assert json.loads(json.dumps(error_report(ErrorKind.MISSING, "no f"))) == \
        {"type": "Missing", "message": "no f", "traceback": ""}
    assert json.loads(json.dumps({"op": Op.CALL})) == {"op": "call"}
    assert {"NotImplementedError", "Missing", "ForbiddenAPIError"} <= INPUT_INDEPENDENT
    assert "ValueError" not in INPUT_INDEPENDENT and "UngradableResult" not in INPUT_INDEPENDENT
