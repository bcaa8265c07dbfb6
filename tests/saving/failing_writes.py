"""The process `test_write_errors.py` runs saves in: under a file-size limit (a disk that
fills up mid-save) and, when started as root, as user nobody (so that a read-only
directory refuses it).

`python failing_writes.py LIMIT PATH...` saves one model to each path (`model.save`
for `.keras`, else `save_weights`) and prints, per path, the error as JSON.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys


def main(limit: int, paths: list[str]) -> None:
    from hoarfrost import Sequential, layers  # as root: the interpreter may be root's alone
    model = Sequential([layers.Dense(256, input_dim=256)])
    if os.geteuid() == 0:  # root writes into read-only directories
        os.setgid(65534)
        os.setuid(65534)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    errors = {}
    for path in paths:
        try:
            if path.endswith(".keras"):
                model.save(path)
            else:
                model.save_weights(path)
            errors[path] = None
        except Exception as exc:  # what the user would see
            errors[path] = [type(exc).__name__, str(exc)]
    print(json.dumps(errors))


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2:])
