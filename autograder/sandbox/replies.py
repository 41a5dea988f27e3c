"""Check what the worker sent before anyone uses it: size caps while reading, shape after, tensors rebuilt
only for known dtypes and devices.

Everything the worker sends is untrusted bytes (the student's code shares its process): an answer
must echo the request's sequence number, and anything not in the shape the worker's own code
sends is a protocol error that fails the call.
"""

import math
import re
import struct

from autograder import protocol
from autograder.protocol import Op

MB = 1024 * 1024
#: the JSON part of one answer (structure and scalars; arrays travel as separate .npy blobs).
MAX_HEADER_BYTES = 8 * MB
_TENSOR_DTYPES = {"float16", "bfloat16", "float32", "float64", "complex64", "complex128",
                  "uint8", "int8", "int16", "int32", "int64", "bool"}
_DEVICE = re.compile(r"(cpu|cuda|mps)(:\d{1,3})?")


class TooLarge(protocol.ProtocolError):
    pass


class Garbled(protocol.ProtocolError):
    pass


def _text(value, limit=4000):
    return value[:limit] if isinstance(value, str) else ""


def _error_report(error):
    if not isinstance(error, dict):
        raise protocol.ProtocolError("an error report that is not a table")
    return protocol.error_report(_text(error.get("type"), 100) or "Error", _text(error.get("message")),
                                 _text(error.get("traceback")))


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_imports(reply):
    imports = reply.get("imports")
    if not isinstance(imports, dict):
        raise protocol.ProtocolError("an import report that is not a table")
    clean = {}
    for name, report in imports.items():
        if not isinstance(report, dict):
            raise protocol.ProtocolError("an import report that is not a table")
        ok = report.get("ok") is True
        clean[str(name)] = {"ok": True} if ok else {"ok": False, "error": _error_report(report.get("error"))}
    reply["imports"] = clean


def _check_answer(op, value):
    if not isinstance(value, dict):
        raise protocol.ProtocolError("an answer that is not a table")
    mutated = value.get("mutated", [])
    if not isinstance(mutated, list) or not all(isinstance(m, (str, int)) and not isinstance(m, bool)
                                                for m in mutated):
        raise protocol.ProtocolError("a malformed list of modified arguments")
    value["mutated"] = [str(m)[:100] for m in mutated]
    if op == Op.TIME and not (_number(value.get("seconds")) and value["seconds"] >= 0):
        raise protocol.ProtocolError("a timing that is not a number of seconds")
    if op == Op.NEW and not (isinstance(value.get("handle"), int) and not isinstance(value["handle"], bool)):
        raise protocol.ProtocolError("an object handle that is not an integer")
    if "grads" in value and not isinstance(value["grads"], (list, type(None))):
        raise protocol.ProtocolError("gradients that are not a list")
    if "param_grads" in value and not isinstance(value["param_grads"], (dict, type(None))):
        raise protocol.ProtocolError("parameter gradients that are not a table")


def check_reply(request, reply, value):
    """Accept a reply only in the shape the worker's own code sends; anything else is a protocol error."""
    if reply.get("seq") != request.get("seq"):
        raise Garbled("sent an answer out of turn (did your code fork a copy of itself, or write to the "
                      "grader's channel?)")
    if not isinstance(reply.get("ok"), bool):
        raise protocol.ProtocolError("a reply without ok: true/false")
    if not reply["ok"]:
        reply["error"] = _error_report(reply.get("error"))
        return reply, None
    op = request.get("op")
    if op == Op.START:
        reply["confinement"] = _text(reply.get("confinement"), 100) or "none"
        reply["confinement_problem"] = _text(reply.get("confinement_problem"), 1000)
    elif op == Op.IMPORT:
        _check_imports(reply)
    else:
        _check_answer(op, value)
    return reply, value


class CappedReader:
    """``read(n)`` for :func:`protocol.unpack` that enforces the size caps as it goes, so the grader
    never holds more of a hostile answer than the caps allow. ``read(n, deadline)`` does the reading."""

    def __init__(self, read, deadline, max_answer_mb):
        self.read, self.deadline, self.total, self.prefix = read, deadline, 0, b""
        self.max_answer_mb = max_answer_mb
        self.cap = MAX_HEADER_BYTES + max_answer_mb * MB

    def __call__(self, nbytes):
        data = self.read(nbytes, self.deadline)
        if len(self.prefix) < 8:
            self.prefix += data[:8 - len(self.prefix)]
            if len(self.prefix) == 8 and struct.unpack("!Q", self.prefix)[0] > MAX_HEADER_BYTES:
                raise TooLarge(f"returned an answer whose description is larger than {MAX_HEADER_BYTES // MB} MB "
                               "(return arrays, not huge Python lists)")
        self.total += len(data)
        if self.total > self.cap:
            raise TooLarge(f"returned an answer larger than {self.max_answer_mb} MB "
                           "(the grader reads no more than that from one call)")
        return data


def make_tensor(array, dtype, device, requires_grad):
    """Rebuild a tensor the worker sent; CUDA results land on CUDA only where it exists."""
    import torch

    if dtype not in _TENSOR_DTYPES or array.dtype.kind not in "biufc":
        raise protocol.ProtocolError(f"a tensor of dtype {dtype[:40]!r} from an array of {array.dtype}")
    if not _DEVICE.fullmatch(device):
        raise protocol.ProtocolError(f"a tensor on device {device[:40]!r}")
    tensor = torch.from_numpy(array.copy()).to(getattr(torch, dtype))
    if device.startswith("cuda") and torch.cuda.is_available():
        tensor = tensor.to(device)
    tensor.nnhw_device = device
    return tensor
