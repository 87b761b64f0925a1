#!/usr/bin/env python3
"""Writes tests/fixtures/hashicorp_aws_ami_copy_names.json: the top-level argument and attribute
names of hashicorp/aws's `aws_ami_copy`, so that the docs test can tell which of ours are
extensions (names hashicorp/aws does not have), which the resource page must mark as such.

Source: the same published CDK for Terraform bindings as scripts/extract-provider-fixture.py
(`@cdktf/provider-aws@21.22.1`, generated from hashicorp/aws 6.25.0). Its jsii manifest
describes the `AmiCopy` construct: its configuration struct (`AmiCopyConfig`, every argument,
each documented with the registry anchor of its Terraform name) and its getters (every
argument and computed attribute, in camelCase). Names are taken from the anchors where there
is one; getters without one are converted from camelCase, and the script checks that the
conversion gives the anchor's name for every argument that has both.

Usage (with the package unpacked as for the provider fixture):
    python3 scripts/extract-ami-copy-names.py package > \\
        crates/terraform-provider-aws/tests/fixtures/hashicorp_aws_ami_copy_names.json
"""

import json
import re
import sys

NS = "@cdktf/provider-aws.amiCopy."
ANCHOR = re.compile(r"docs/resources/ami_copy#([a-z0-9_]+)")
# CDKTF's own members of every construct, not Terraform names.
NOT_SCHEMA = {"alias", "fqn", "friendly_unique_id", "terraform_resource_type", "for_each",
              "count", "depends_on", "lifecycle", "provider", "provisioners", "connection",
              "terraform_generator_metadata", "terraform_meta_arguments", "node", "raw_overrides",
              "cdktf_stack"}


def snake(name):
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def main():
    pkg_dir = sys.argv[1] if len(sys.argv) > 1 else "package"
    with open(f"{pkg_dir}/package.json") as f:
        pkg = json.load(f)
    with open(f"{pkg_dir}/.jsii") as f:
        types = json.load(f)["types"]
    names = set()
    for prop in types[NS + "AmiCopyConfig"]["properties"]:
        docs = prop.get("docs", {})
        m = ANCHOR.search(docs.get("remarks", "") + " " + docs.get("summary", ""))
        if not m:
            continue  # CDKTF's meta-arguments (count, provider, ...)
        if snake(prop["name"]) != m.group(1):
            sys.exit(f"camelCase {prop['name']} does not convert to its anchor {m.group(1)}")
        names.add(m.group(1))
    for prop in types[NS + "AmiCopy"]["properties"]:
        if prop.get("static") or prop.get("protected"):
            continue
        name = snake(re.sub(r"Input$", "", prop["name"]))
        if name not in NOT_SCHEMA:
            names.add(name)
    out = {
        "source": {
            "package": f"npm @cdktf/provider-aws@{pkg['version']}",
            "generated_from": f"{pkg['cdktf']['provider']['name']} {pkg['cdktf']['provider']['version']}",
            "extracted_by": "scripts/extract-ami-copy-names.py (the AmiCopy construct's "
            "configuration and getters in the jsii manifest)",
        },
        "names": sorted(names),
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
