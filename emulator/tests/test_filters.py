"""DescribeImages filters (fidelity layer, describe_filters.py): one test per filter EC2 documents,
each showing the filter keeps a matching image and leaves out one that does not match."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import Clients, error_code, make_source, wait_state
from ec2emu.fidelity.image_filters import DESCRIBE_IMAGES_FILTERS

AKID = "AKIDTFILTERSMODULE0001"  # the shared images' copy rules are scoped to this key


@pytest.fixture(scope="module")
def imgs(emu):
    """Images that differ in every field a filter reads, all named `<prefix>-…`."""
    ec2 = Clients(emu, AKID).ec2()
    prefix = f"flt-{uuid.uuid4().hex[:8]}"
    out = {"prefix": prefix}
    # a: EBS-backed, /dev/xvda gp3 8 GiB unencrypted, deleted on termination, x86_64 hvm, ENA,
    # sriov simple, kernel and ramdisk ids, S3 manifest location, tagged.
    out["a"] = make_source(
        ec2,
        f"{prefix}-a",
        Description="alpha image",
        SriovNetSupport="simple",
        KernelId="aki-0a0a0a0a",
        RamdiskId="ari-0a0a0a0a",
        ImageLocation=f"{prefix}-bucket/a.manifest.xml",
        TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "team", "Value": "red"}]}],
    )
    # b: /dev/sdf st1 20 GiB encrypted, kept on termination, arm64 paravirtual, uefi, no ENA.
    vol = ec2.create_volume(Size=20, AvailabilityZone="us-east-1a", Encrypted=True)
    snap = ec2.create_snapshot(VolumeId=vol["VolumeId"])["SnapshotId"]
    out["b_snap"] = snap
    out["b"] = ec2.register_image(
        Name=f"{prefix}-b",
        Description="beta image",
        RootDeviceName="/dev/sdf",
        BlockDeviceMappings=[
            {
                "DeviceName": "/dev/sdf",
                "Ebs": {"SnapshotId": snap, "VolumeType": "st1", "VolumeSize": 20, "DeleteOnTermination": False},
            }
        ],
        Architecture="arm64",
        VirtualizationType="paravirtual",
        BootMode="uefi",
        EnaSupport=False,
    )["ImageId"]
    ec2.modify_image_attribute(ImageId=out["b"], LaunchPermission={"Add": [{"Group": "all"}]})
    # c: instance-store (no mappings).
    out["c"] = ec2.register_image(Name=f"{prefix}-c", RootDeviceName="/dev/sda1")["ImageId"]
    # copies of a: one available, one pending for a while, one failed with a StateReason.
    rules = [
        dict(name_prefix=f"{prefix}-pending", duration_seconds=600),
        dict(name_prefix=f"{prefix}-failed", duration_seconds=0, fail_message="boom: disk gone", fail_code="Client.Boom"),
    ]
    for rule in rules:
        r = emu.control("POST", "copy-rules", json={"access_key_id": AKID, **rule})
        assert r.status_code == 201, r.text
    for kind in ("copy", "pending", "failed"):
        out[kind] = ec2.copy_image(Name=f"{prefix}-{kind}", SourceImageId=out["a"], SourceRegion="us-east-1")[
            "ImageId"
        ]
    wait_state(ec2, out["failed"], "failed")
    # from-instance: made by CreateImage.
    inst = ec2.run_instances(ImageId=out["a"], MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]
    out["instance"] = inst["InstanceId"]
    out["from-instance"] = ec2.create_image(InstanceId=inst["InstanceId"], Name=f"{prefix}-from-instance")["ImageId"]
    yield out
    emu.control("POST", "reset", json={"access_key_id": AKID})


def _found(aws, imgs, name, values):
    """Ids of the shared images a filter keeps (the name filter narrows to this module's images)."""
    filters = [
        {"Name": "name", "Values": [imgs["prefix"] + "-*"]},
        {"Name": name, "Values": values},
    ]
    return {i["ImageId"] for i in aws.ec2().describe_images(Filters=filters)["Images"]}


# filter → (values, image it keeps, image it leaves out). A value may be a function of the images.
CASES = {
    "architecture": (["arm64"], "b", "a"),
    "block-device-mapping.delete-on-termination": (["false"], "b", "a"),
    "block-device-mapping.device-name": (["/dev/sd?"], "b", "a"),
    "block-device-mapping.snapshot-id": ([lambda i: i["b_snap"]], "b", "a"),
    "block-device-mapping.volume-size": (["20"], "b", "a"),
    "block-device-mapping.volume-type": (["st1"], "b", "a"),
    "block-device-mapping.encrypted": (["true"], "b", "a"),
    "boot-mode": (["uefi"], "b", "a"),
    "description": (["alpha*"], "a", "b"),
    "ena-support": (["false"], "b", "a"),
    "image-id": ([lambda i: i["a"]], "a", "b"),
    "is-public": (["true"], "b", "a"),
    "kernel-id": (["aki-0a*"], "a", "b"),
    "manifest-location": ([lambda i: f"{i['prefix']}-bucket/*.manifest.xml"], "a", "b"),
    "name": ([lambda i: f"{i['prefix']}-?"], "b", "copy"),  # ? is one character
    "ramdisk-id": (["ari-0a0a0a0a"], "a", "b"),
    "root-device-name": (["/dev/sdf"], "b", "a"),
    "root-device-type": (["instance-store"], "c", "a"),
    "source-image-id": ([lambda i: i["a"]], "copy", "a"),
    "source-image-region": (["us-east-1"], "copy", "a"),
    "source-instance-id": ([lambda i: i["instance"]], "from-instance", "a"),
    "state": (["pending"], "pending", "a"),
    "state-reason-code": (["Client.Boom"], "failed", "a"),
    "state-reason-message": (["boom:*"], "failed", "copy"),
    "sriov-net-support": (["simple"], "a", "b"),
    "tag:<key>": (["red"], "a", "b"),
    "tag-key": (["team"], "a", "b"),
    "virtualization-type": (["paravirtual"], "b", "a"),
    # Every image has the same value here, so the filter is shown keeping it for the value it has
    # and leaving it out for another (the second image of the pair is the same one).
    "free-tier-eligible": (["false"], "a", None),  # none is Free Tier eligible
    "hypervisor": (["xen"], "a", None),
    "image-allowed": (["true"], "a", None),  # Allowed AMIs off: every image is allowed
    "image-type": (["machine"], "a", None),
    "owner-id": (["123456789012"], "a", None),
}
# The value that leaves the image out when all images share one.
OTHER_VALUE = {
    "free-tier-eligible": "true",
    "hypervisor": "ovm",
    "image-allowed": "false",
    "image-type": "kernel",
    "owner-id": "111122223333",
}
# Features the emulator does not model (no API here gives an image a value), and fields only
# moto's built-in AMIs have (owner alias, platform, product codes): no image of ours matches,
# whatever the value, and the call answers 200.
NO_VALUE = [
    n
    for n in DESCRIBE_IMAGES_FILTERS
    if n.startswith(("image-watermark.", "instance-type-specification.", "scan-result."))
    or n in ("public-ssm-parameter-name", "owner-alias", "platform", "product-code", "product-code.type")
]


def test_cases_cover_the_documented_list():
    assert set(CASES) | set(NO_VALUE) | {"creation-date"} == set(DESCRIBE_IMAGES_FILTERS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_filter(aws, imgs, name):
    values, hit, miss = CASES[name]
    values = [v(imgs) if callable(v) else v for v in values]
    query = name.replace("<key>", "team")
    found = _found(aws, imgs, query, values)
    assert imgs[hit] in found
    if miss is not None:
        assert imgs[miss] not in found
    else:
        assert imgs[hit] not in _found(aws, imgs, query, [OTHER_VALUE[name]])


@pytest.mark.parametrize("name", NO_VALUE)
def test_filter_of_unmodelled_field(aws, imgs, name):
    assert _found(aws, imgs, name, ["*"]) == set()
    assert _found(aws, imgs, "image-allowed", ["true"])  # the same images are there otherwise


def test_filter_tag_value(aws, imgs):  # not in the DescribeImages list; EC2 and moto take it
    found = _found(aws, imgs, "tag-value", ["r?d"])
    assert imgs["a"] in found and imgs["b"] not in found


def test_filter_creation_date(aws):
    ec2 = aws.ec2()
    first = make_source(ec2, "flt-date-1")
    time.sleep(1.1)  # CreationDate has whole seconds
    second = make_source(ec2, "flt-date-2")
    ids = [first, second]
    when = ec2.describe_images(ImageIds=[first])["Images"][0]["CreationDate"]
    exact = ec2.describe_images(ImageIds=ids, Filters=[{"Name": "creation-date", "Values": [when]}])["Images"]
    assert [i["ImageId"] for i in exact] == [first]
    day = when[:11] + "*"  # "2021-09-29T*" matches the whole day, as the reference shows
    whole_day = ec2.describe_images(ImageIds=ids, Filters=[{"Name": "creation-date", "Values": [day]}])
    assert {i["ImageId"] for i in whole_day["Images"]} == set(ids)


def test_every_documented_filter_answers_with_an_image_present(aws, imgs):
    ec2 = aws.ec2()
    for name in DESCRIBE_IMAGES_FILTERS:
        query = name.replace("<key>", "team")
        for value in ("x", "*", "true"):
            resp = ec2.describe_images(Filters=[{"Name": query, "Values": [value]}])
            assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200, (name, value)


def test_several_values_are_or_several_filters_are_and(aws, imgs):
    either = _found(aws, imgs, "architecture", ["arm64", "x86_64"])
    assert {imgs["a"], imgs["b"]} <= either
    both = {
        i["ImageId"]
        for i in aws.ec2().describe_images(
            Filters=[
                {"Name": "name", "Values": [imgs["prefix"] + "-*"]},
                {"Name": "architecture", "Values": ["x86_64"]},
                {"Name": "block-device-mapping.volume-type", "Values": ["gp3"]},
            ]
        )["Images"]
    }
    assert imgs["a"] in both and imgs["b"] not in both


def test_wildcards_and_escapes(aws, imgs):
    assert imgs["a"] in _found(aws, imgs, "description", ["alpha ima?e"])
    assert imgs["a"] not in _found(aws, imgs, "description", ["alpha"])  # whole value, not a prefix
    assert imgs["a"] not in _found(aws, imgs, "description", ["alpha\\*"])  # \* is a literal star
    assert imgs["a"] not in _found(aws, imgs, "description", ["ALPHA*"])  # case matters


def test_filters_narrow_image_ids(aws, imgs):
    ids = [imgs["a"], imgs["b"]]
    resp = aws.ec2().describe_images(ImageIds=ids, Filters=[{"Name": "architecture", "Values": ["arm64"]}])
    assert [i["ImageId"] for i in resp["Images"]] == [imgs["b"]]


def test_unknown_filter_is_invalid(aws, imgs):
    with pytest.raises(ClientError) as e:
        aws.ec2().describe_images(Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    assert error_code(e.value) == "InvalidParameterValue"
    assert "no-such-filter" in e.value.response["Error"]["Message"]
