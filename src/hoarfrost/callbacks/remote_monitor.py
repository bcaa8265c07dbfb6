"""`RemoteMonitor`: post each epoch's logs to a server (Keras's callback, over urllib)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from hoarfrost.callbacks.callback import Callback


class RemoteMonitor(Callback):
    """At each epoch's end, POST `{"epoch": epoch, **logs}` to `root + path`.

    As Keras: by default a form with one field, `field`, holding the logs as JSON;
    with `send_as_json` the JSON itself (`Content-Type: application/json`). A server
    that can not be reached gives a warning, not an error; the server's answer, an
    HTTP error status included, is not read. Keras posts with `requests`; here the
    standard library's `urllib` sends the same request.

    Args:
        root: the server's root URL.
        path: the path the events are posted to.
        field: the form field holding the JSON (unused with `send_as_json`).
        headers: extra HTTP headers (a dict).
        send_as_json: send the logs as a JSON body instead of a form.
    """

    def __init__(self, root: str = "http://localhost:9000", path: str = "/publish/epoch/end/",
                 field: str = "data", headers: dict | None = None, send_as_json: bool = False):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            send[key] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(send).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode("utf-8")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(self.root + self.path, data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10):
                pass
        except urllib.error.HTTPError:
            pass  # reached; Keras ignores the response
        except (urllib.error.URLError, OSError, ValueError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}",
                          stacklevel=2)
