"""`make run` says whether RabbitMQ's management UI answers, or how to turn it on."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from deploy.preflight import ENABLE_MANAGEMENT_UI, management_ui_note, management_ui_url
from shared.settings import BrokerSettings
from tests.support.metrics import free_port


class _Answers(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"RabbitMQ Management")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ui_url() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_answering_ui_is_named_with_its_address(ui_url: str) -> None:
    assert management_ui_note(ui_url) == f"RabbitMQ management UI: {ui_url}"


def test_a_silent_ui_gets_the_one_command_that_enables_it() -> None:
    note = management_ui_note(f"http://127.0.0.1:{free_port()}")
    assert note.endswith(f"to turn it on: {ENABLE_MANAGEMENT_UI}")


def test_the_ui_is_looked_for_on_the_brokers_host() -> None:
    settings = BrokerSettings(amqp_url="amqp://guest:guest@broker.internal:5672/")
    assert management_ui_url(settings) == "http://broker.internal:15672"
