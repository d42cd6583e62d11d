"""Fixtures for d2lkit's tests: an empty cache folder, and a data server on 127.0.0.1 (never the internet)."""
import hashlib
import http.server
import socket
import threading

import pytest

from d2lkit import data, download

FASHION_MNIST_MIRROR = data.FASHION_MNIST_MIRROR  # the kit's own, before the fixture below redirects it


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    """Every test gets its own empty cache folder and no network: a test that forgets to point the kit
    at its local server fails fast instead of reaching the internet."""
    folder = tmp_path / "cache"
    nowhere = f"http://127.0.0.1:{closed_port()}/"
    monkeypatch.setenv("D2LKIT_DATA", str(folder))
    monkeypatch.setenv("D2LKIT_DATA_URL", nowhere)
    monkeypatch.setattr(data, "FASHION_MNIST_MIRROR", nowhere)
    monkeypatch.delenv("D2LKIT_OFFLINE", raising=False)
    monkeypatch.delenv("D2LKIT_LIVE", raising=False)
    return folder


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DataServer:
    """Serves `files` (name -> bytes); names in `truncated` are cut in half and the connection closed."""

    def __init__(self):
        self.files, self.truncated, self.requests = {}, set(), []
        state = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.lstrip("/")
                state.requests.append(name)
                body = state.files.get(name)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if name in state.truncated:
                    self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                else:
                    self.wfile.write(body)

            def log_message(self, *args):  # quiet
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def publish(self, monkeypatch, name, body: bytes, sha1: str | None = None):
        """Serve `body` as the data file `name` of the hub, whose checksum becomes `sha1` (default: body's)."""
        filename, _ = download.DATA_HUB[name]
        monkeypatch.setitem(download.DATA_HUB, name, (filename, sha1 or hashlib.sha1(body).hexdigest()))
        self.files[filename] = body
        return filename


@pytest.fixture
def server(monkeypatch):
    srv = DataServer()
    srv.thread.start()
    monkeypatch.setenv("D2LKIT_DATA_URL", srv.url)
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
    srv.thread.join(5)
