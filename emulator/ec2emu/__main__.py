"""Launcher: `python -m ec2emu --port 0 --port-file FILE [--no-fidelity] [--default-amis]`.

Starts moto's server app on 127.0.0.1 inside this process, wrapped by the ec2emu middleware
(test controls under /_ec2emu/, fault injection, call log) and, unless --no-fidelity, with the
AMI fidelity layer patched into moto. Writes the port to FILE once the server answers, prints
`ec2emu listening on http://127.0.0.1:PORT`, and runs until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m ec2emu", description=__doc__)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    p.add_argument("--port-file", help="write the bound port here once the server answers")
    p.add_argument("--no-fidelity", action="store_true", help="stock moto: no EC2 behaviour changes")
    p.add_argument(
        "--default-amis", action="store_true", help="load moto's ~1,300 built-in AMIs per region (slow start)"
    )
    p.add_argument(
        "--default-copy-seconds",
        type=float,
        default=0.0,
        help="copy duration when no copy rule matches (default 0: available on first read)",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.default_amis:
        os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "true"
    else:
        os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

    from .server import build_server, warm_up, wait_until_answering

    server, inner_app = build_server(
        args.host, args.port, fidelity=not args.no_fidelity, default_copy_seconds=args.default_copy_seconds
    )
    port = server.server_port
    os.environ["MOTO_PORT"] = str(port)

    def announce() -> None:
        warm_up(inner_app)
        wait_until_answering(args.host, port)
        if args.port_file:
            tmp = f"{args.port_file}.tmp{os.getpid()}"
            with open(tmp, "w") as f:
                f.write(f"{port}\n")
            os.replace(tmp, args.port_file)
        print(f"ec2emu listening on http://{args.host}:{port}", flush=True)

    def stop(signum, frame):  # noqa: ARG001
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Thread(target=announce, name="ec2emu-announce", daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.1)
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        server.server_close()
        sys.stdout.flush()
        sys.stderr.flush()
    # Nothing is left to save: skip the interpreter's slow teardown of moto's modules.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
