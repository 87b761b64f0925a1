"""Speed-ups that change no behaviour: at start-up, and on every request.

1. moto builds many botocore sessions while it imports (RegionsAndZonesBackend alone calls
   Session().get_available_regions eleven times) and each session re-parses the same botocore
   JSON data files: parse each file once per process, and remember get_available_regions'
   answer per argument set (it only reads botocore's bundled data).
2. moto.ec2.models.instance_types parses ~90 instance-type-offering files (one per region and
   location type) at import: load each region's file on first use instead. The data and every
   lookup (`OFFERINGS[location_type][region]`, `.get(region, [])`, iteration) stay the same.

Per request (a DescribeImages of ten images took 7.7 ms, most of it outside EC2's logic):
3. moto's dispatcher lists its package directory on disk (hundreds of stat calls) to recognise a
   service host: list it once. The installed package does not change while the server runs.
4. moto finds a response class's action methods with inspect.getmembers on every call: remember
   them per class, once the fidelity layer has patched the classes (the first request comes
   after every install()).
5. moto's serializer tests every attribute path of a response against each of the service's
   response transformers (EC2: about 20 `endswith` per attribute): find the transformer of a path
   once per response.
6. For every attribute of every answer, moto's serializer builds six alias providers to list the
   names the attribute may have on the Python object. The list depends only on the attribute's
   name, the object's class and the botocore shape (and its parent): remember it per those.
"""

from __future__ import annotations

import os
import pathlib
import threading
from typing import Any

_done = False


def install(per_request: bool = True) -> None:
    """per_request=False leaves the request path as moto has it (for the test that compares
    answers with and without these speed-ups)."""
    global _done
    if _done:
        return
    _cache_botocore_json()
    _memoize_available_regions()
    _lazy_instance_type_offerings()
    if per_request:
        _list_moto_modules_once()
        _remember_action_methods()
        _transformer_per_path()
        _remember_possible_keys()
    _done = True


def _cache_botocore_json() -> None:
    from botocore import loaders

    cache: dict[str, object] = {}
    lock = threading.Lock()
    orig = loaders.JSONFileLoader.load_file

    def load_file(self, file_path):  # type: ignore[no-untyped-def]
        with lock:
            if file_path in cache:
                return cache[file_path]
        data = orig(self, file_path)
        with lock:
            cache[file_path] = data
        return data

    loaders.JSONFileLoader.load_file = load_file

    # Loader.list_available_services stats thousands of files on every call; the answer only
    # depends on the search paths and the installed data.
    orig_list = loaders.Loader.list_available_services
    listed: dict[tuple, list[str]] = {}

    def list_available_services(self, type_name):  # type: ignore[no-untyped-def]
        key = (tuple(self.search_paths), type_name)
        with lock:
            if key in listed:
                return list(listed[key])
        names = orig_list(self, type_name)
        with lock:
            listed[key] = list(names)
        return names

    loaders.Loader.list_available_services = list_available_services


def _memoize_available_regions() -> None:
    """boto3 Session.get_available_regions answers from botocore's bundled data: same arguments,
    same list. moto asks it eleven times while importing moto.ec2."""
    from boto3.session import Session

    orig = Session.get_available_regions
    memo: dict[tuple, list[str]] = {}
    lock = threading.Lock()

    def get_available_regions(self, service_name, partition_name="aws", allow_non_regional=False):  # type: ignore[no-untyped-def]
        key = (service_name, partition_name, allow_non_regional)
        with lock:
            if key in memo:
                return list(memo[key])
        regions = orig(self, service_name, partition_name, allow_non_regional)
        with lock:
            memo[key] = list(regions)
        return regions

    Session.get_available_regions = get_available_regions


class _LazyRegions(dict):
    """{region: offerings} of one location type, each region's file parsed on first access."""

    def __init__(self, location_type: str, files: dict[str, str]):
        super().__init__()
        self._location_type = location_type
        self._files = files
        self._lock = threading.Lock()

    def _load(self, region: str) -> Any:
        from moto.utilities.utils import load_resource

        with self._lock:
            if dict.__contains__(self, region):
                return dict.__getitem__(self, region)
            res = load_resource(self._files[region])
            for instance in res:
                instance["LocationType"] = self._location_type
            dict.__setitem__(self, region, res)
            return res

    def _load_all(self) -> None:
        for region in self._files:
            if not dict.__contains__(self, region):
                self._load(region)

    def __missing__(self, region: str) -> Any:
        if region in self._files:
            return self._load(region)
        raise KeyError(region)

    def get(self, region: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[region] if region in self._files or dict.__contains__(self, region) else default

    def __contains__(self, region: object) -> bool:
        return region in self._files or dict.__contains__(self, region)

    def __iter__(self):
        self._load_all()
        return super().__iter__()

    def __len__(self) -> int:
        return len(set(self._files) | set(dict.keys(self)))

    def keys(self):  # type: ignore[override]
        self._load_all()
        return super().keys()

    def values(self):  # type: ignore[override]
        self._load_all()
        return super().values()

    def items(self):  # type: ignore[override]
        self._load_all()
        return super().items()


def _lazy_instance_type_offerings() -> None:
    from importlib.util import find_spec

    spec = find_spec("moto")
    assert spec is not None and spec.origin is not None
    rel = os.path.join("resources", "instance_type_offerings")
    root = pathlib.Path(spec.origin).parent / "ec2" / rel
    if "moto.ec2.models.instance_types" in __import__("sys").modules or not root.is_dir():
        return
    orig_listdir = os.listdir

    def listdir(path: Any = ".") -> list[str]:
        if pathlib.Path(path) == root:
            return []  # the offerings are filled in lazily below
        return orig_listdir(path)

    os.listdir = listdir
    try:
        import moto.ec2.models.instance_types as it
    finally:
        os.listdir = orig_listdir
    for location_type in orig_listdir(root):
        files = {
            name.split(".")[0]: os.path.join("ec2", rel, location_type, name)
            for name in orig_listdir(root / location_type)
        }
        it.INSTANCE_TYPE_OFFERINGS[location_type] = _LazyRegions(location_type, files)


def _list_moto_modules_once() -> None:
    from moto import backends

    orig = backends.list_of_moto_modules
    listed: list[str] = []
    lock = threading.Lock()

    def list_of_moto_modules():  # type: ignore[no-untyped-def]
        with lock:
            if not listed:
                listed.extend(orig())
        return iter(listed)

    backends.list_of_moto_modules = list_of_moto_modules


def _remember_action_methods() -> None:
    """moto.core.responses imported the helper by name: replace it there."""
    from moto.core import responses

    orig = responses.method_names_from_class
    memo: dict[type, list[str]] = {}
    lock = threading.Lock()

    def method_names_from_class(clazz):  # type: ignore[no-untyped-def]
        with lock:
            names = memo.get(clazz)
        if names is None:
            names = orig(clazz)
            with lock:
                memo[clazz] = names
        return list(names)

    responses.method_names_from_class = method_names_from_class


def _transformer_per_path() -> None:
    """A picker lives for one response; it keeps, per attribute path, the one transformer (or
    none) that the original loop would pick, and lets the original run with only that one."""
    from moto.core.serialize import AttributePicker

    orig = AttributePicker.__call__

    def pick(self, context):  # type: ignore[no-untyped-def]
        every = self.response_transformers
        if not every:
            return orig(self, context)
        by_path = self.__dict__.setdefault("_ec2emu_transformer_by_path", {})
        path = f"{context.key_path}.{context.key}"
        only = by_path.get(path)
        if only is None:
            # The original applies the first transformer whose path ends the attribute's path.
            only = next(({p: t} for p, t in every.items() if path.endswith(p)), {})
            by_path[path] = only
        self.response_transformers = only
        try:
            return orig(self, context)
        finally:
            self.response_transformers = every

    AttributePicker.__call__ = pick


def _remember_possible_keys() -> None:
    """The alias providers read only the key, the object's class (and its `Meta` aliases, if it
    has any: such objects are not remembered), the shape and the shape's current parent. The
    memo holds the shapes themselves, so an id is never reused while it is remembered."""
    from moto.core import serialize

    orig = serialize.XFormedAttributePicker.get_possible_keys
    no_parent = object()
    memo: dict[tuple, tuple[str, ...]] = {}
    lock = threading.Lock()

    def get_possible_keys(self, context):  # type: ignore[no-untyped-def]
        obj = context.obj
        if self.alias_providers is not serialize.DEFAULT_ALIAS_PROVIDERS or hasattr(obj, "Meta"):
            return orig(self, context)
        shape = context.shape
        key = (type(self), context.key, type(obj), shape, getattr(shape, "parent", no_parent))
        with lock:
            keys = memo.get(key)
        if keys is None:
            try:
                keys = tuple(orig(self, context))
            except Exception:
                # The original is lazy: a provider that fails after the name the caller wanted
                # is never reached there. Let it run as it would.
                return orig(self, context)
            with lock:
                if len(memo) > 50_000:  # shapes are long-lived; this only bounds a surprise
                    memo.clear()
                memo[key] = keys
        return iter(keys)

    serialize.XFormedAttributePicker.get_possible_keys = get_possible_keys
