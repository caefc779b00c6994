"""Which failed platform calls leave an unknown outcome (queried, 查询中) and which surely did nothing: real
sockets on localhost, real ``requests`` calls."""
import socket
import threading

import pytest
import requests

from protocols.transport import request_may_have_arrived


def _serve_once(handle):
    """A one-connection TCP server on localhost running ``handle(connection)``; returns its URL."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def run():
        connection, _address = server.accept()
        try:
            handle(connection)
        finally:
            connection.close()
            server.close()
    threading.Thread(target=run, daemon=True).start()
    return "http://127.0.0.1:%s/v3/pay/transactions/codepay" % server.getsockname()[1]


def _failure(url, timeout=5):
    with pytest.raises(requests.exceptions.RequestException) as caught:
        requests.post(url, data=b'{"out_trade_no": "T1"}', timeout=timeout)
    return caught.value


def test_connection_closed_after_the_request_is_unknown():
    url = _serve_once(lambda connection: connection.recv(65536))  # reads the order, never answers
    assert request_may_have_arrived(_failure(url))


def test_connection_reset_after_the_request_is_unknown():
    def reset(connection):
        connection.recv(65536)
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    assert request_may_have_arrived(_failure(_serve_once(reset)))


def test_read_time_out_is_unknown():
    done = threading.Event()
    url = _serve_once(lambda connection: (connection.recv(65536), done.wait(5)))
    try:
        error = _failure(url, timeout=0.5)
    finally:
        done.set()
    assert isinstance(error, requests.exceptions.ReadTimeout)
    assert request_may_have_arrived(error)


def test_refused_connection_was_never_sent():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there any more
    assert not request_may_have_arrived(_failure("http://127.0.0.1:%s/v3/pay" % port))


def test_unknown_host_was_never_sent():
    assert not request_may_have_arrived(_failure("http://ev-pay-no-such-host.invalid/v3/pay"))
