# Cheating: answers forged straight onto the worker's answer channel, bypassing the worker:
# a well-formed "correct-looking" answer out of turn, a pickle said to be an object array, whose
# unpickling would run code in the grader, a tensor of a made-up dtype (with the right
# sequence number, stolen from the worker's own frame), and answers far too large.
import json as _json
import struct as _struct
import sys as _sys
import time as _time

import numpy as _np

_ANSWER_FD = int(_sys.argv[2])


def _seq():
    frame = _sys._getframe()
    while frame is not None:
        if "seq" in frame.f_locals and "request" in frame.f_locals:
            return frame.f_locals["seq"]
        frame = frame.f_back
    return None


def _send(header, blobs=()):
    data = _json.dumps(header).encode()
    out = _struct.pack("!Q", len(data)) + data + b"".join(blobs)
    view = memoryview(out)
    while view:
        view = view[_h_os.write(_ANSWER_FD, view):]


class _Boom:
    def __reduce__(self):
        return (_h_os.system, ("touch @@BEACON@@/PWNED",))


def softmax(z):  # a well-formed answer, but without the sequence number of the request
    _send({"ok": True, "value": {"__dict__": {"result": 0.5, "mutated": []}}, "arrays": [], "blobs": []})
    _time.sleep(5)


def mse_loss(y_hat, y):  # a pickle, said to be an array of objects
    import pickle as _pickle

    blob = _pickle.dumps(_np.array([_Boom()], dtype=object))
    _send({"ok": True, "seq": _seq(), "value": {"__dict__": {"result": {"__ndarray__": 0}, "mutated": []}},
           "arrays": [["|O", [len(blob) // 8]]], "blobs": [len(blob)]}, [blob])
    _time.sleep(5)


def tanh(z):  # a tensor of a dtype that is really some other torch attribute
    blob = _np.zeros(3).tobytes()
    _send({"ok": True, "seq": _seq(), "value": {"__dict__": {"result": {
        "__tensor__": 0, "dtype": "load", "device": "cpu", "requires_grad": False}, "mutated": []}},
        "arrays": [["<f8", [3]]], "blobs": [len(blob)]}, [blob])
    _time.sleep(5)


def binary_cross_entropy(y_hat, y):  # a JSON header said to be 100 MB long
    _h_os.write(_ANSWER_FD, _struct.pack("!Q", 100 * 1024 * 1024) + b"[" * 65536)
    _time.sleep(5)


def cross_entropy(y_hat, y):  # a valid header, then a blob said to be 200 MB, streamed
    header = _json.dumps({"ok": True, "seq": _seq(), "value": {"__dict__": {"result": {"__ndarray__": 0}}},
                          "arrays": [["<f8", [(200 << 20) // 8]]], "blobs": [200 << 20]}).encode()
    _h_os.write(_ANSWER_FD, _struct.pack("!Q", len(header)) + header)
    chunk = b"\0" * (1 << 20)
    for _ in range(200):
        _h_os.write(_ANSWER_FD, chunk)
    _time.sleep(5)
