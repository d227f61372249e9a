"""The library's log lines reach the `workload_identity` logger, from any
thread, at the level the logger asks for, and never carry a token."""

import logging
import threading
import time

import pytest

import workload_identity
from workload_identity import Client


class Collector(logging.Handler):
    """Keeps every record, whatever thread emitted it."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def messages(self, level=None):
        return [record.getMessage() for record in self.records if level is None or record.levelno == level]


@pytest.fixture
def collector():
    logger = logging.getLogger("workload_identity")
    handler = Collector()
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)
    workload_identity.sync_log_level()


def test_debug_lines_flow_once_the_logger_asks_for_them(collector):
    logger = logging.getLogger("workload_identity")
    logger.setLevel(logging.WARNING)
    with Client() as client:
        client.get_access_token()
        assert collector.messages() == []

        logger.setLevel(logging.DEBUG)
        workload_identity.sync_log_level()
        token = client.force_refresh()
    assert any("request to" in message for message in collector.messages(logging.DEBUG))
    assert "access token refreshed" in collector.messages(logging.INFO)
    assert all(token not in message for message in collector.messages())


def test_a_new_client_picks_up_the_logger_level(collector):
    logging.getLogger("workload_identity").setLevel(logging.INFO)
    with Client() as client:
        client.get_access_token()
    assert collector.messages(logging.DEBUG) == []
    assert "access token refreshed" in collector.messages(logging.INFO)


def test_lines_from_the_library_refresh_thread_arrive(devserver, collector):
    logging.getLogger("workload_identity").setLevel(logging.INFO)
    # refresh_in 1: a cached token is due for a background refresh after 1 s.
    devserver.configure(refresh_in=1)
    with Client() as client:
        client.get_access_token()
        deadline = time.monotonic() + 10
        while not _from_other_threads(collector) and time.monotonic() < deadline:
            client.get_access_token()  # from the cache; once due, starts the background refresh
            time.sleep(0.05)
    (record, *_) = _from_other_threads(collector)
    assert record.getMessage() == "access token refreshed"
    assert record.threadName.startswith("Dummy")  # a thread Python did not start
    assert devserver.count("/oauth/token") == 2


def _from_other_threads(collector):
    return [record for record in collector.records if record.thread != threading.get_ident()]
