"""Build moto's WSGI server with the ec2emu middleware (and the fidelity layer when asked)."""

from __future__ import annotations

import http.client
import time
from typing import Any

from werkzeug.serving import make_server

from . import state
from .controls import Controls
from .middleware import EmulatorMiddleware


def build_server(host: str, port: int, fidelity: bool = True, default_copy_seconds: float = 0.0):
    from .speedups import install as install_speedups

    install_speedups()
    if fidelity:
        from .fidelity import install

        install()
    state.STORE.default_copy_seconds = default_copy_seconds

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    class QuietHandler(MotoRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:  # one line per request is noise
            pass

    inner = DomainDispatcherApplication(create_backend_app)
    app = EmulatorMiddleware(inner, Controls(fidelity=fidelity, reset_backends=reset_backends))
    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
    return server, inner


def reset_backends() -> None:
    """Wipe every moto backend (all accounts and regions), like POST /moto-api/reset."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()
    state.reset()


_AUTH = (
    "AWS4-HMAC-SHA256 Credential={key}/20200101/{region}/{service}/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


def signed_post(client: Any, body: str, service: str = "ec2", region: str = "us-east-1",
                key: str = "EC2EMUWARMUP") -> Any:
    """POSTs a query-protocol call through a werkzeug test client, in-process. moto takes the
    region, service and access key id from the Authorization header and checks no signature."""
    return client.post(
        "/",
        data=body,
        headers={
            "Authorization": _AUTH.format(key=key, region=region, service=service),
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        },
    )


def warm_up(inner_app: Any) -> None:
    """Serve one EC2 and one STS call in-process (not logged) so the first real call is fast."""
    from werkzeug.test import Client

    client = Client(inner_app)
    signed_post(client, "Action=DescribeImages&Version=2016-11-15&ImageId.1=ami-12345678")
    signed_post(client, "Action=GetCallerIdentity&Version=2011-06-15", service="sts")


def wait_until_answering(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = http.client.HTTPConnection(host, port, timeout=1.0)
            conn.request("GET", "/_ec2emu/health")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
