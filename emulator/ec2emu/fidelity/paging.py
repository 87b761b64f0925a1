"""DescribeImages in pages: `MaxResults` and `NextToken`.

The EC2 API reference recommends paginated describes: with `MaxResults` a call returns at most
that many items and a `NextToken` when more remain; the next call sends the token back and
continues after the last item returned. A null `NextToken` means there is no more. Stock moto
ignores both parameters and answers with every image at once.

What this module does (after every other patch to DescribeImages, so a page holds only what the
call would have listed):

- Without `MaxResults` or `NextToken`: unchanged, every image in one answer, no `NextToken`.
- `MaxResults` N: at most N images, ordered by image id, and a `NextToken` when more remain.
  The token is opaque to the caller and carries the last id returned, so a listing never
  repeats or skips an image that exists throughout, even while others are registered or
  deregistered between its pages.
- `MaxResults` outside 5..1000 (the range EC2 documents for its paginated describe calls) →
  `InvalidParameterValue`. A `NextToken` this emulator did not issue →
  `InvalidPaginationToken`.
- A `NextToken` without `MaxResults` continues with pages of 1000.
"""

from __future__ import annotations

import base64
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.responses.amis import AmisResponse

from .errors import ec2_error

MIN_PAGE = 5
MAX_PAGE = 1000
_TOKEN_PREFIX = "ec2emu-images-after:"

_ORIGINAL: dict[str, Any] = {}


def _token(last_id: str) -> str:
    return base64.urlsafe_b64encode((_TOKEN_PREFIX + last_id).encode()).decode()


def _after(token: str) -> str:
    """The last image id a token carries, or InvalidPaginationToken."""
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    if not text.startswith(_TOKEN_PREFIX):
        raise ec2_error("InvalidPaginationToken", f"The pagination token '{token}' is not valid.")
    return text[len(_TOKEN_PREFIX) :]


def _page_size(raw: Any, token: str | None) -> int | None:
    if raw in (None, ""):
        return MAX_PAGE if token else None
    try:
        n = int(raw)
    except (TypeError, ValueError):
        n = -1
    if not MIN_PAGE <= n <= MAX_PAGE:
        raise ec2_error(
            "InvalidParameterValue",
            f"Value ({raw}) for parameter maxResults is invalid. "
            f"Expecting a value between {MIN_PAGE} and {MAX_PAGE}.",
        )
    return n


def describe_images(self) -> ActionResult:
    token = self._get_param("NextToken") or None
    size = _page_size(self._get_param("MaxResults"), token)
    after = _after(token) if token else None
    result = _ORIGINAL["describe_images"](self)
    if size is None:
        return result
    images = sorted(result.result["Images"], key=lambda i: i.id)
    if after is not None:
        images = [i for i in images if i.id > after]
    page = images[:size]
    out = {**result.result, "Images": page}
    out.pop("NextToken", None)
    if len(images) > size:
        out["NextToken"] = _token(page[-1].id)  # NextToken
    return ActionResult(out)


def install() -> None:
    """Wrap DescribeImages; called last, after the modules that filter what it lists."""
    if _ORIGINAL:
        return
    _ORIGINAL["describe_images"] = AmisResponse.describe_images
    AmisResponse.describe_images = describe_images
