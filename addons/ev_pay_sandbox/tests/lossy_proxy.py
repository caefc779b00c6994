"""A real TCP proxy in front of the sandbox platforms that loses answers, as a live network does.

Each request is read whole; then, in order, each mode of ``plan`` applies to one request:
``"lose_answer"`` forwards it to the simulator and closes the connection without answering (a time-out or a reset
after sending: the platform acted, we never learn how); ``"swallow"`` closes without forwarding (the request
never reached the platform, though it was sent); past the plan, requests are relayed normally.
"""
import http.client
import socket
import threading
from urllib.parse import urlsplit


class LossyProxy:

    def __init__(self, target_base_url, cookie, plan=()):
        target = urlsplit(target_base_url)
        self.target_host, self.target_port = target.hostname, target.port or 80
        self.cookie = cookie
        self.plan = list(plan)
        self.seen = []  # (mode, request line) of each request
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.url = "http://127.0.0.1:%s" % self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self):
        self.server.close()

    def _serve(self):
        while True:
            try:
                connection, _address = self.server.accept()
            except OSError:
                return
            with connection:
                self._handle(connection)

    @staticmethod
    def _read_request(connection):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        length = int(headers.get("Content-Length", 0))
        while len(body) < length:
            body += connection.recv(65536)
        method, path, _version = lines[0].split(" ", 2)
        return method, path, headers, body

    def _handle(self, connection):
        request = self._read_request(connection)
        if request is None:
            return
        method, path, headers, body = request
        mode = self.plan.pop(0) if self.plan else "relay"
        self.seen.append((mode, "%s %s" % (method, path.split("?")[0])))
        if mode == "swallow":
            return
        headers = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection", "cookie")}
        headers["Cookie"] = "test_request_key=%s" % self.cookie
        upstream = http.client.HTTPConnection(self.target_host, self.target_port, timeout=60)
        upstream.request(method, path, body=body or None, headers=headers)
        response = upstream.getresponse()
        answer = response.read()
        if mode == "lose_answer":
            upstream.close()
            return
        lines = ["HTTP/1.1 %s %s" % (response.status, response.reason)]
        lines += ["%s: %s" % (k, v) for k, v in response.getheaders()
                  if k.lower() not in ("transfer-encoding", "content-length", "connection")]
        lines += ["Content-Length: %s" % len(answer), "Connection: close"]
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + answer)
        upstream.close()
