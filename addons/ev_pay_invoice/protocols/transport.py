"""What a failed HTTP call to a payment platform tells us: was the request possibly received?

A call that failed before anything was sent (no connection, TLS handshake refused, connect time-out) changed
nothing at the platform: it may be repeated or reported as a failure. A call that failed after the request was
sent (read time-out, connection reset or closed before the answer, a truncated answer) may have been carried
out: its outcome is unknown and must be queried, never called a failure (WeChat Pay "合理的查单逻辑", Alipay
"异常处理流程"). Pure Python over ``requests``' exception classes, so it is unit-tested without a database.
"""
import requests
from urllib3.exceptions import NewConnectionError

_NOT_SENT = (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError, requests.exceptions.InvalidURL,
             requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema, requests.exceptions.ProxyError)


def _causes(error):
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = getattr(error, "reason", None) or error.__cause__ or error.__context__ or (
            error.args[0] if error.args and isinstance(error.args[0], BaseException) else None)


def request_may_have_arrived(error):
    """True when ``error`` (a ``requests`` exception) leaves the outcome of the call unknown."""
    if isinstance(error, _NOT_SENT):
        return False
    if isinstance(error, requests.exceptions.ConnectionError):
        # Refused connection / unknown host: urllib3 never opened the socket.
        return not any(isinstance(cause, NewConnectionError) for cause in _causes(error))
    return isinstance(error, requests.exceptions.RequestException)
