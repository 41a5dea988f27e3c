# Runaway: a sleep at import time (the whole file never finishes importing).
import time as _time

_time.sleep(1000)
