"""RemoteMonitor posts each epoch's logs as Keras's does (a form field of JSON, or JSON),
to a local server; an unreachable server is a warning."""

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

from hoarfrost import Sequential, callbacks, layers


class Recorder(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.received.append((self.path, self.headers["Content-Type"], self.headers.get("X-Run"),
                              body))
        self.send_response(404 if self.path.startswith("/missing") else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    Recorder.received = []
    httpd = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_posts_each_epoch_as_a_form_or_as_json(server):
    model = Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.RemoteMonitor(root=server)])
    assert [r[:2] for r in Recorder.received] == [
        ("/publish/epoch/end/", "application/x-www-form-urlencoded")] * 2
    form = urllib.parse.parse_qs(Recorder.received[1][3])
    sent = json.loads(form["data"][0])
    assert sent["epoch"] == 1 and isinstance(sent["loss"], float)
    Recorder.received = []
    monitor = callbacks.RemoteMonitor(root=server, path="/missing", send_as_json=True,
                                      headers={"X-Run": "7"})
    model.fit(x, y, epochs=1, verbose=0, callbacks=[monitor])  # a 404 is not an error
    path, content_type, run, body = Recorder.received[0]
    assert (path, content_type, run) == ("/missing", "application/json", "7")
    assert set(json.loads(body)) == {"epoch", "loss"}


def test_an_unreachable_server_is_a_warning():
    monitor = callbacks.RemoteMonitor(root="http://127.0.0.1:9")  # discard port: refused
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server"):
        monitor.on_epoch_end(0, {"loss": np.float32(1.5)})
