#!/usr/bin/env python3
"""Writes a fixture of every argument, block and `endpoints` key of the hashicorp/aws
`provider "aws"` block of one release line:
  tests/fixtures/hashicorp_aws_provider_block.json     6.x (the current line)
  tests/fixtures/hashicorp_aws_5_provider_block.json   5.x (the last bindings of that line)
The provider accepts the union of the two (tests hold its schema to both).

Source: the generated CDK for Terraform bindings of hashicorp/aws published on npm,
`@cdktf/provider-aws@21.22.1` (its package.json says it was generated from
registry.terraform.io/hashicorp/aws 6.25.0). Its jsii manifest (`package/.jsii`) describes the
provider configuration struct (`AwsProviderConfig`) and every nested block struct
(`AwsProviderEndpoints`, ...). Each property's documentation links to the registry anchor of the
Terraform name (`...docs#s3_use_path_style`), so names are taken from that anchor, never
re-derived from the camelCase property name.

jsii does not carry what CDKTF does not need: set versus list, block nesting and block counts,
and the provider_meta schema. Those few facts come from upstream's provider source
(internal/provider/sdkv2/provider.go and provider_gen.go of hashicorp/terraform-provider-aws)
and are listed in UPSTREAM_FACTS below, as is `user_agent`, which upstream added to the
provider block after 6.25.0 (the last bindings release).

The 5.x fixture comes the same way from `@cdktf/provider-aws@20.1.0`, generated from
hashicorp/aws 5.100.0, the last 5.x release (21.0.0 was generated from 6.0.0). The block facts
below hold for 5.100.0 as well: `assume_role` became a list without a maximum in 5.67.0 (role
chaining); `user_agent` is not in 5.x's block.

Usage:
    npm pack @cdktf/provider-aws@21.22.1            # 37 MB tarball (6.x; 20.1.0 for 5.x)
    tar xzf cdktf-provider-aws-21.22.1.tgz package/.jsii package/package.json
    python3 scripts/extract-provider-fixture.py package > \
        crates/terraform-provider-aws/tests/fixtures/hashicorp_aws_provider_block.json
"""

import json
import re
import sys

PACKAGE = "@cdktf/provider-aws"
NS = "@cdktf/provider-aws.provider."
ANCHOR = re.compile(r"docs#([a-z0-9_]+) AwsProvider#")

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
    # Added to the provider block after 6.25.0: only the 6.x fixture gets it.
    "extra_attributes": {"user_agent": ["list", "string"]},
    "extra_attributes_from_major": 6,
    # ProviderMetaSchema: `provider_meta "aws" { user_agent = [...] }`.
    "provider_meta": {"user_agent": ["list", "string"]},
    # CDKTF's own meta-argument, not part of the provider schema.
    "not_schema": {"alias"},
}


EXTRACTED_BY = (
    "scripts/extract-provider-fixture.py (names from the jsii manifest's "
    "registry anchors; set/list, block nesting and counts, provider_meta and user_agent "
    "from upstream's provider source, see the script)"
)


def tf_name(prop):
    docs = prop.get("docs", {})
    m = ANCHOR.search(docs.get("remarks", "") + " " + docs.get("summary", ""))
    if not m:
        sys.exit(f"no registry anchor for {prop['name']}")
    return m.group(1)


def tf_type(t, path):
    """jsii type -> Terraform type JSON, or ("block", struct) for a nested block."""
    if "union" in t:
        kinds = [x for x in t["union"]["types"] if x.get("fqn") != "cdktf.IResolvable"]
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


def struct(types, fqn, prefix=""):
    attrs, blocks = {}, {}
    for prop in types[fqn]["properties"]:
        name = tf_name(prop)
        if name in UPSTREAM_FACTS["not_schema"]:
            continue
        path = prefix + name
        t = tf_type(prop["type"], path)
        if isinstance(t, tuple):
            inner_attrs, _ = struct(types, t[1], path + ".")
            blocks[name] = dict(UPSTREAM_FACTS["blocks"][name], attributes=inner_attrs)
        else:
            attrs[name] = t
    return dict(sorted(attrs.items())), dict(sorted(blocks.items()))


def main():
    pkg_dir = sys.argv[1] if len(sys.argv) > 1 else "package"
    with open(f"{pkg_dir}/package.json") as f:
        pkg = json.load(f)
    with open(f"{pkg_dir}/.jsii") as f:
        types = json.load(f)["types"]
    attrs, blocks = struct(types, NS + "AwsProviderConfig")
    major = int(pkg["cdktf"]["provider"]["version"].split(".")[0])
    if major >= UPSTREAM_FACTS["extra_attributes_from_major"]:
        attrs.update(UPSTREAM_FACTS["extra_attributes"])
    endpoints = blocks["endpoints"].pop("attributes")
    blocks["endpoints"]["keys"] = sorted(endpoints)
    out = {
        "source": {
            "package": f"npm {PACKAGE}@{pkg['version']}",
            "generated_from": f"{pkg['cdktf']['provider']['name']} {pkg['cdktf']['provider']['version']}",
            "extracted_by": EXTRACTED_BY,
        },
        "attributes": dict(sorted(attrs.items())),
        "blocks": blocks,
        "provider_meta": UPSTREAM_FACTS["provider_meta"],
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
