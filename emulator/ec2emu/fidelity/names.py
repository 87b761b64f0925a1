"""AMI name rules (CopyImage / RegisterImage `Name`): 3–128 characters of letters, digits and
`( ) [ ] space . / - ' @ _`, unique among the account's images in the region."""

from __future__ import annotations

import re
from typing import Any

from .errors import ec2_error, missing_parameter

NAME_RE = re.compile(r"^[A-Za-z0-9()\[\] ./\-'@_]{3,128}$")


def check_name(name: Any) -> str:
    if name is None or name == "":
        raise missing_parameter("Name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ec2_error(
            "InvalidAMIName.Malformed",
            "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, "
            "'(', ')', '.', '-', '/', '[', ']', ' ', \"'\", '@' and '_'",
        )
    return name


def check_unique(backend: Any, name: str) -> None:
    for ami in list(backend.amis.values()):
        if ami.name == name and ami.owner_id == backend.account_id:
            raise ec2_error("InvalidAMIName.Duplicate", f"AMI name {name} is already in use by AMI {ami.id}")
