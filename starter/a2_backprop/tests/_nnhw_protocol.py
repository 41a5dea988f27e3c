"""Values as data: the only things that cross between the grader and a student's code.

This module is deliberately standalone (standard library and numpy; torch only when a
tensor is actually encoded or decoded) because it is copied next to the worker script and
into students' starter folders. Nothing here ever unpickles: an array travels as its raw bytes,
described in the JSON by a numeric dtype and a shape that must agree with them (no ``.npy``
header to parse for each of a grading's thousands of small arrays); everything else is plain
JSON with a few tagged objects (tuples, arrays, tensors, non-finite floats).

The conversation's vocabulary is defined here once: what the grader asks (:class:`Op`), the
fields of a request and of a reply, the kinds of failure the worker reports (:class:`ErrorKind`)
and the answer a call yields (:class:`Answer`). The worker, the sandbox and the student proxy
all speak in these names.
"""

import enum
import inspect
import io
import json
import math
import re
import struct
from dataclasses import dataclass
from typing import Any, List, Optional, TypedDict

import numpy as np

#: Upper bound on one message, so a hostile peer cannot make the reader allocate without limit.
MAX_MESSAGE_BYTES = 512 * 1024 * 1024
_HEADER = struct.Struct("!Q")
_SCALAR_TYPES = (bool, int, str, type(None))


class ProtocolError(Exception):
    """A message that is not well-formed data (or a value that cannot be sent as data)."""


class Op(str, enum.Enum):
    """What the grader asks of the worker, in the order a worker's life sees them."""

    START = "start"    # confine yourself and poison forbidden APIs (no student code has run yet)
    IMPORT = "import"  # import the student's modules
    CALL = "call"      # call a function or a method of a held object
    NEW = "new"        # construct an object and hold it; the answer is its handle
    TIME = "time"      # best wall time of a call (leaderboards)


class ErrorKind(str, enum.Enum):
    """How a request failed, when it is not simply the student's own exception type (``ValueError``)."""

    NOT_IMPLEMENTED = "NotImplementedError"  # the stub is still there
    MISSING = "Missing"                      # no function or class of that name
    FORBIDDEN = "ForbiddenAPIError"          # a poisoned function or a blocked import
    UNGRADABLE = "UngradableResult"          # the answer cannot travel as data
    SYSTEM_EXIT = "SystemExit"               # sys.exit() in the student's code


#: failures no other input would cure: the test fails at once instead of searching further.
#: (plain strings: an Enum member hashes by its name, so it is no set member for the string it equals)
INPUT_INDEPENDENT = frozenset(k.value for k in (ErrorKind.NOT_IMPLEMENTED, ErrorKind.MISSING, ErrorKind.FORBIDDEN))


class Request(TypedDict, total=False):
    """The JSON part of a request; its value (arguments) travels beside it."""

    op: str                  # an Op
    seq: int                 # echoed by the reply, so an answer out of turn is noticed
    target: str              # "fn" or "Class" or "Class.method"
    handle: int              # the held object a method belongs to
    method: str
    wrt: List[int]           # arguments to differentiate with respect to (call_with_grad)
    repeat: int              # TIME: how many timed calls


class ErrorReport(TypedDict):
    type: str                # an ErrorKind or the name of the student's exception type
    message: str
    traceback: str           # the lines in the student's files only


class Reply(TypedDict, total=False):
    """The JSON part of a reply; a call's :class:`Answer` travels beside it as its value."""

    seq: int
    ok: bool
    error: ErrorReport                   # when not ok
    confinement: str                     # START: "landlock ABI n" or "none"
    confinement_problem: str             # START: why there is none
    imports: dict                        # IMPORT: {module: {"ok": bool, "error": ErrorReport}}


@dataclass(frozen=True)
class Answer:
    """What one call of the student's code yields, as the graded tests use it."""

    result: Any = None
    mutated: tuple = ()                  # arguments (positions or names) modified in place
    grads: Optional[list] = None         # call_with_grad: gradients of the arguments in ``wrt``
    param_grads: Optional[dict] = None   # call_with_grad on a module: {parameter name: gradient}
    seconds: Optional[float] = None      # TIME
    handle: Optional[int] = None         # NEW

    @classmethod
    def from_value(cls, value):
        """From the value a reply carried (already checked for shape by the grader)."""
        return cls(result=value.get("result"), mutated=tuple(value.get("mutated", ())), grads=value.get("grads"),
                   param_grads=value.get("param_grads"), seconds=value.get("seconds"), handle=value.get("handle"))

    def to_value(self):
        """The value the worker sends (only the fields this kind of answer has)."""
        value = {"result": self.result, "mutated": list(self.mutated)}
        for name in ("grads", "param_grads", "seconds", "handle"):
            if getattr(self, name) is not None:
                value[name] = getattr(self, name)
        return value


def resolve(dotted, find):
    """What a dotted name in a request or case names (``Model.forward``, ``torch.nn.functional.conv2d``):
    ``find(head)`` gives the top-level object (a module's attribute, an imported module), the rest are its
    attributes. The one resolver of the grader, the worker and the starters, so a name means the same on
    every side."""
    head, *rest = dotted.split(".")
    obj = find(head)
    for part in rest:
        obj = getattr(obj, part)
    return obj


def call_signature(dotted, find):
    """The parameters a call of ``dotted`` binds its arguments to, as the code it runs names them: an autograd
    Function's ``apply`` and a module's ``__call__`` take their ``forward``'s inputs (after ``ctx`` or ``self``), so
    feedback shows ``x = ...``, not ``args = ...`` or ``self = ...``. Raises ValueError or TypeError as
    ``inspect.signature`` does."""
    owner, _, last = dotted.rpartition(".")
    forward = getattr(resolve(owner, find), "forward", None) if owner and last in ("apply", "__call__") else None
    if forward is None:
        return inspect.signature(resolve(dotted, find))
    signature = inspect.signature(forward)
    return signature.replace(parameters=list(signature.parameters.values())[1:])


#: torch's words for a backward that returns too few or too many gradients
_GRADIENTS = re.compile(r"function (\w+?)Backward returned an incorrect number of gradients \(expected (\d+), got (\d+)\)")


def gradient_count(message, inputs):
    """The rule that a backward returning the wrong number of gradients broke, in its forward's names (``inputs``:
    ``{name: value}`` of the call), or None. Torch's own message names neither the inputs nor the Nones it wants; the
    grader, the public tests and the notebook all say it this way."""
    found = _GRADIENTS.search(message)
    if not found:
        return None
    function, expected, got = found.groups()
    if len(inputs) != int(expected):  # a layer's call: the Function's own inputs are not these
        return (f"{function}.backward returns {got} gradients; it must return one per input of {function}.forward, "
                f"{expected} in all, in that order, None for each input that is not a tensor")
    nones = _and([name for name, value in inputs.items() if value is not None and not _is_tensor(value)])
    maybe = _and([name for name, value in inputs.items() if value is None])
    return (f"{function}.backward returns {got} gradients; it must return one per input of forward "
            f"({', '.join(inputs)}), {expected} in all, in that order" + (f", None for {nones}" if nones else "")
            + (f" (and for {maybe} when it is None)" if maybe else ""))


def _and(names):
    return " and ".join(", ".join(names).rsplit(", ", 1))


def error_report(kind, message, traceback=""):
    """An :class:`ErrorReport` (``kind`` an ErrorKind or an exception type's name)."""
    return {"type": str(getattr(kind, "value", kind)), "message": message, "traceback": traceback}


def _is_tensor(value):
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def encode(value, put_array):
    """Turn ``value`` into JSON-able data; arrays go through ``put_array(ndarray) -> ref``."""
    if isinstance(value, _SCALAR_TYPES):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(float(value))}
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject or value.dtype.fields is not None:
            raise ProtocolError(f"an array of dtype {value.dtype} (only numeric arrays can be graded)")
        return {"__ndarray__": put_array(value)}
    if isinstance(value, np.generic):
        return {"__ndarray__": put_array(np.asarray(value)), "scalar": True}
    if _is_tensor(value):
        array = value.detach().cpu().resolve_conj().resolve_neg().numpy()
        return {
            "__tensor__": put_array(array),
            "dtype": str(value.dtype).replace("torch.", ""),
            "device": str(value.device),
            "requires_grad": bool(value.requires_grad),
        }
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, put_array) for v in value]}
    if isinstance(value, list):
        return [encode(v, put_array) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ProtocolError("a dict whose keys are not all strings")
        return {"__dict__": {k: encode(v, put_array) for k, v in value.items()}}
    raise ProtocolError(f"an object of type {type(value).__name__}")


def decode(data, get_array, make_tensor=None):
    """Inverse of :func:`encode`; ``make_tensor(array, dtype, device, requires_grad)`` builds tensors."""
    if isinstance(data, list):
        return [decode(v, get_array, make_tensor) for v in data]
    if not isinstance(data, dict):
        return data
    if "__float__" in data:
        text = data["__float__"]
        if text not in ("nan", "inf", "-inf"):
            raise ProtocolError(f"bad float {text!r}")
        return float(text)
    if "__ndarray__" in data:
        array = get_array(data["__ndarray__"])
        return array[()] if data.get("scalar") else array
    if "__tensor__" in data:
        array = get_array(data["__tensor__"])
        if make_tensor is None:
            return array
        return make_tensor(array, str(data["dtype"]), str(data["device"]), bool(data.get("requires_grad")))
    if "__tuple__" in data:
        return tuple(decode(v, get_array, make_tensor) for v in data["__tuple__"])
    if "__dict__" in data:
        return {str(k): decode(v, get_array, make_tensor) for k, v in data["__dict__"].items()}
    raise ProtocolError(f"unknown tagged object with keys {sorted(data)[:5]}")


def array_to_npy(array):
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


#: the dtypes an array may travel in: numeric and boolean, any byte order, never objects or records
_ARRAY_DTYPE = re.compile(r"[<>|=](?:[iufc]\d{1,2}|b1)")
_MAX_DIMENSIONS = 32


def _array(descr, blob):
    """The array a ``[dtype, shape]`` descriptor and its raw bytes make, after checking they agree."""
    if not (isinstance(descr, list) and len(descr) == 2 and isinstance(descr[0], str)
            and _ARRAY_DTYPE.fullmatch(descr[0]) and isinstance(descr[1], list) and len(descr[1]) <= _MAX_DIMENSIONS
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in descr[1])):
        raise ProtocolError(f"not a plain numeric array: {str(descr)[:80]}")
    dtype = np.dtype(descr[0])
    if math.prod(descr[1]) * dtype.itemsize != len(blob):
        raise ProtocolError(f"an array of {descr[0]} {tuple(descr[1])} cannot be {len(blob)} bytes")
    return np.frombuffer(blob, dtype).reshape(descr[1]).copy()


def pack(message, value=None):
    """Frame ``message`` (a JSON dict) plus an encoded ``value`` as bytes: the JSON's size, the JSON (with
    each array's dtype and shape), then the arrays' raw bytes one after the other."""
    arrays, blobs = [], []

    def put(array):
        arrays.append([array.dtype.str, list(array.shape)])
        blobs.append(array.tobytes(order="C"))
        return len(blobs) - 1

    message = dict(message)
    if value is not None or "value" not in message:
        message["value"] = encode(value, put)
    message["arrays"], message["blobs"] = arrays, [len(b) for b in blobs]
    header = json.dumps(message, allow_nan=False).encode()
    return b"".join([_HEADER.pack(len(header)), header, *blobs])


def read_exact(read, size):
    chunks, remaining = [], size
    while remaining:
        chunk = read(remaining)
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def unpack(read, make_tensor=None):
    """Read one framed message with ``read(n)``; returns ``(message, value)``. Three reads: the size, the
    JSON, and all the arrays' bytes at once."""
    (size,) = _HEADER.unpack(read_exact(read, _HEADER.size))
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message header of {size} bytes")
    try:
        message = json.loads(read_exact(read, size))
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"message is not JSON ({exc})") from None
    sizes, descrs = (message.get("blobs"), message.get("arrays")) if isinstance(message, dict) else (None, None)
    if not (isinstance(sizes, list) and isinstance(descrs, list) and len(sizes) == len(descrs)
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in sizes)):
        raise ProtocolError("message is not a JSON object with its arrays' descriptions and sizes")
    if sum(sizes) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of more than {MAX_MESSAGE_BYTES} bytes")
    data, arrays, start = read_exact(read, sum(sizes)), [], 0
    for descr, blob_size in zip(descrs, sizes):
        arrays.append(_array(descr, data[start:start + blob_size]))
        start += blob_size

    def get(ref):
        if not isinstance(ref, int) or not 0 <= ref < len(arrays):
            raise ProtocolError(f"reference to a missing array {ref!r}")
        return arrays[ref]

    try:
        value = decode(message.get("value"), get, make_tensor)
    except RecursionError:
        raise ProtocolError("value nested too deeply") from None
    return message, value


def to_json_data(value):
    """Encode ``value`` with arrays inlined as lists (for human-readable fixture files)."""

    def inline(array):
        return {"dtype": array.dtype.str, "shape": list(array.shape), "data": encode(array.ravel().tolist(), None)}

    return encode(value, inline)


def from_json_data(data, make_tensor=None):
    """Inverse of :func:`to_json_data` (tensors come back as arrays unless ``make_tensor`` builds them)."""

    def outline(ref):
        flat = decode(ref["data"], None)
        return np.array(flat, dtype=np.dtype(ref["dtype"])).reshape(ref["shape"])

    return decode(data, outline, make_tensor)
