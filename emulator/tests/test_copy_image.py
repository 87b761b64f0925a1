"""CopyImage: idempotency, encryption, tags, newer parameters, carried-over fields, name rules,
EC2 errors instead of HTTP 500."""

import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, make_source, wait_state

BUILTIN_KEY = "0ec2e2e2-0000-4000-8000-00000000cafe"


def copy(ec2, src, name, region="us-east-1", **kw):
    return ec2.copy_image(Name=name, SourceImageId=src, SourceRegion=region, **kw)["ImageId"]


def image(ec2, image_id):
    return ec2.describe_images(ImageIds=[image_id])["Images"][0]


def snapshots(ec2, img):
    ids = [m["Ebs"]["SnapshotId"] for m in img["BlockDeviceMappings"] if "Ebs" in m]
    return ec2.describe_snapshots(SnapshotIds=ids)["Snapshots"]


# --- ClientToken -----------------------------------------------------------------------------


def test_client_token_idempotency(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "idem-src")
    token = str(uuid.uuid4())
    a = copy(ec2, src, "idem-copy", ClientToken=token, Description="d1")
    b = copy(ec2, src, "idem-copy", ClientToken=token, Description="d1")
    assert a == b
    assert len(ec2.describe_images(Filters=[{"Name": "name", "Values": ["idem-copy"]}])["Images"]) == 1
    with pytest.raises(ClientError) as e:
        copy(ec2, src, "idem-copy", ClientToken=token, Description="other")
    assert error_code(e.value) == "IdempotentParameterMismatch"
    # another token with the same name is a duplicate name, as in EC2
    with pytest.raises(ClientError) as e:
        copy(ec2, src, "idem-copy", ClientToken=str(uuid.uuid4()), Description="d1")
    assert error_code(e.value) == "InvalidAMIName.Duplicate"


def test_description_given_omitted_or_empty(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "desc-src", Description="source description")
    assert image(ec2, copy(ec2, src, "desc-given", Description="mine"))["Description"] == "mine"
    assert image(ec2, copy(ec2, src, "desc-omitted"))["Description"] == "source description"
    assert image(ec2, copy(ec2, src, "desc-empty", Description="")).get("Description", "") == ""


# --- Encrypted / KmsKeyId --------------------------------------------------------------------


def test_encrypted_with_kms_key_created_in_kms(aws):
    ec2 = aws.ec2()
    kms = aws.client("kms")
    key_arn = kms.create_key(Description="ami copies")["KeyMetadata"]["Arn"]
    src = make_source(ec2, "enc-src")
    img = image(ec2, copy(ec2, src, "enc-copy", Encrypted=True, KmsKeyId=key_arn))
    ebs = img["BlockDeviceMappings"][0]["Ebs"]
    assert ebs["Encrypted"] is True and ebs["KmsKeyId"] == key_arn
    for s in snapshots(ec2, img):
        assert s["Encrypted"] is True and s["KmsKeyId"] == key_arn


def test_encrypted_with_builtin_test_key_and_alias(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "encb-src")
    img = image(ec2, copy(ec2, src, "encb-copy", Encrypted=True, KmsKeyId=BUILTIN_KEY))
    assert snapshots(ec2, img)[0]["KmsKeyId"] == f"arn:aws:kms:us-east-1:123456789012:key/{BUILTIN_KEY}"
    kms = aws.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/encb-test", TargetKeyId=key_id)
    img = image(ec2, copy(ec2, src, "encb-copy2", Encrypted=True, KmsKeyId="alias/encb-test"))
    assert snapshots(ec2, img)[0]["KmsKeyId"].endswith(f":key/{key_id}")


def test_encrypted_without_key_uses_default_ebs_key(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "encd-src")
    img = image(ec2, copy(ec2, src, "encd-copy", Encrypted=True))
    snap = snapshots(ec2, img)[0]
    assert snap["Encrypted"] is True and snap["KmsKeyId"].startswith(
        "arn:aws:kms:us-east-1:123456789012:key/"
    )


def test_malformed_kms_key_is_rejected(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "encx-src")
    for key in ("not-a-key", "arn:aws:kms:us-east-1:123456789012:key/", "alias/"):
        with pytest.raises(ClientError) as e:
            copy(ec2, src, "encx-copy", Encrypted=True, KmsKeyId=key)
        assert error_code(e.value) == "InvalidParameterValue"
    assert ec2.describe_images(Filters=[{"Name": "name", "Values": ["encx-copy"]}])["Images"] == []


@pytest.mark.parametrize(
    "key",
    [
        "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-8444-555555555555",  # never created
        f"arn:aws:kms:eu-west-1:123456789012:key/{BUILTIN_KEY}",  # another region
        "alias/no-such-alias",
    ],
)
def test_unknown_kms_key_makes_the_copy_fail(aws, key):
    """EC2 checks the key asynchronously: the call succeeds, the copy ends failed."""
    ec2 = aws.ec2()
    src = make_source(ec2, "ency-src")
    # Long enough that the read right after the call still sees it pending on a loaded machine.
    aws.copy_rule(duration_seconds=3)
    image_id = copy(ec2, src, f"encu-copy-{aws.akid[-8:]}", Encrypted=True, KmsKeyId=key)
    assert image(ec2, image_id)["State"] == "pending"
    img = wait_state(ec2, image_id, "failed", timeout=15)
    assert img["StateReason"]["Code"] == "Client.InvalidKMSKey.NotFound"
    assert "does not exist" in img["StateReason"]["Message"]


def test_kms_key_without_encrypted_is_rejected(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "ency-src")
    with pytest.raises(ClientError) as e:
        copy(ec2, src, "ency-copy", KmsKeyId=BUILTIN_KEY)
    assert error_code(e.value) == "InvalidParameterDependency"


# --- TagSpecifications / CopyImageTags -------------------------------------------------------


def _tags(obj):
    return {t["Key"]: t["Value"] for t in obj.get("Tags", [])}


def test_tag_specifications_for_image_and_snapshots(aws):
    ec2 = aws.ec2()
    src = make_source(
        ec2, "tag-src", TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "src", "Value": "x"}]}]
    )
    img = image(
        ec2,
        copy(
            ec2,
            src,
            "tag-copy",
            TagSpecifications=[
                {
                    "ResourceType": "image",
                    "Tags": [{"Key": "Name", "Value": "tagged"}, {"Key": "env", "Value": "test"}],
                },
                {"ResourceType": "snapshot", "Tags": [{"Key": "env", "Value": "snap"}]},
            ],
        ),
    )
    assert _tags(img) == {"Name": "tagged", "env": "test"}  # source tags are not copied by default
    for s in snapshots(ec2, img):
        assert _tags(s) == {"env": "snap"}
    with pytest.raises(ClientError) as e:
        copy(
            ec2,
            src,
            "tag-copy2",
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "a", "Value": "b"}]}],
        )
    assert error_code(e.value) == "InvalidParameterValue"


def test_copy_image_tags(aws):
    ec2 = aws.ec2()
    src = make_source(
        ec2,
        "ctag-src",
        TagSpecifications=[
            {"ResourceType": "image", "Tags": [{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "src"}]}
        ],
    )
    img = image(
        ec2,
        copy(
            ec2,
            src,
            "ctag-copy",
            CopyImageTags=True,
            TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "env", "Value": "copy"}]}],
        ),
    )
    assert _tags(img) == {"team": "a", "env": "copy"}


# --- newer parameters ------------------------------------------------------------------------


def test_snapshot_copy_completion_duration_minutes(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "tb-src")
    img = image(ec2, copy(ec2, src, "tb-copy", SnapshotCopyCompletionDurationMinutes=45))
    snap = snapshots(ec2, img)[0]
    assert snap["CompletionDurationMinutes"] == 45 and snap["TransferType"] == "time-based"
    for bad in (10, 20, 2895):
        with pytest.raises(ClientError) as e:
            copy(ec2, src, f"tb-bad-{bad}", SnapshotCopyCompletionDurationMinutes=bad)
        assert error_code(e.value) == "InvalidParameterValue"
    call = aws.calls("CopyImage")[0]
    assert call["params"]["SnapshotCopyCompletionDurationMinutes"] == "45"


def test_destination_outpost_arn_recorded(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "op-src")
    arn = "arn:aws:outposts:us-east-1:123456789012:outpost/op-0123456789abcdef0"
    img = image(ec2, copy(ec2, src, "op-copy", DestinationOutpostArn=arn))
    assert img["BlockDeviceMappings"][0]["Ebs"]["OutpostArn"] == arn
    assert snapshots(ec2, img)[0]["OutpostArn"] == arn
    assert aws.calls("CopyImage")[0]["params"]["DestinationOutpostArn"] == arn
    with pytest.raises(ClientError) as e:
        copy(ec2, src, "op-bad", DestinationOutpostArn="arn:aws:outposts:us-east-1:123:nope")
    assert error_code(e.value) == "InvalidParameterValue"


# --- carried-over fields ---------------------------------------------------------------------


def test_source_fields_are_carried_over_cross_region(aws):
    west = aws.ec2("us-west-2")
    east = aws.ec2("us-east-1")
    vol = west.create_volume(Size=10, AvailabilityZone="us-west-2a")
    root = west.create_snapshot(VolumeId=vol["VolumeId"])["SnapshotId"]
    vol2 = west.create_volume(Size=20, AvailabilityZone="us-west-2a")
    data = west.create_snapshot(VolumeId=vol2["VolumeId"])["SnapshotId"]
    src = west.register_image(
        Name="carry-src",
        Description="the source",
        RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {
                    "SnapshotId": root,
                    "VolumeType": "gp3",
                    "Iops": 3000,
                    "Throughput": 125,
                    "DeleteOnTermination": True,
                },
            },
            {
                "DeviceName": "/dev/sdf",
                "Ebs": {
                    "SnapshotId": data,
                    "VolumeSize": 30,
                    "VolumeType": "io2",
                    "Iops": 4000,
                    "DeleteOnTermination": False,
                },
            },
            {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
        ],
        Architecture="arm64",
        VirtualizationType="hvm",
        EnaSupport=True,
        SriovNetSupport="simple",
        BootMode="uefi",
        TpmSupport="v2.0",
        ImdsSupport="v2.0",
        UefiData="QU1aTlVFRkk=",
    )["ImageId"]
    s = image(west, src)
    img = image(east, copy(east, src, "carry-copy", region="us-west-2"))
    assert img["SourceImageId"] == src and img["SourceImageRegion"] == "us-west-2"
    assert img["Description"] == "the source"
    for field in (
        "Architecture",
        "EnaSupport",
        "SriovNetSupport",
        "BootMode",
        "TpmSupport",
        "ImdsSupport",
        "PlatformDetails",
        "UsageOperation",
        "VirtualizationType",
        "RootDeviceName",
        "RootDeviceType",
        "Hypervisor",
    ):
        assert img[field] == s[field], field
    assert img["PlatformDetails"] == "Linux/UNIX" and img["UsageOperation"] == "RunInstances"
    assert img["Hypervisor"] == "xen" and img["RootDeviceType"] == "ebs"
    by_dev = {m["DeviceName"]: m for m in img["BlockDeviceMappings"]}
    assert set(by_dev) == {"/dev/xvda", "/dev/sdf", "/dev/sdb"}
    assert by_dev["/dev/sdb"] == {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"}
    assert (
        by_dev["/dev/xvda"]["Ebs"]["VolumeSize"] == 10 and by_dev["/dev/xvda"]["Ebs"]["VolumeType"] == "gp3"
    )
    assert by_dev["/dev/xvda"]["Ebs"]["Throughput"] == 125
    assert by_dev["/dev/sdf"]["Ebs"]["VolumeSize"] == 30 and by_dev["/dev/sdf"]["Ebs"]["Iops"] == 4000
    assert by_dev["/dev/sdf"]["Ebs"]["DeleteOnTermination"] is False
    new_ids = {by_dev[d]["Ebs"]["SnapshotId"] for d in ("/dev/xvda", "/dev/sdf")}
    assert not new_ids & {root, data}
    assert (
        len(east.describe_snapshots(SnapshotIds=list(new_ids))["Snapshots"]) == 2
    )  # in the destination region
    assert (
        east.describe_image_attribute(ImageId=img["ImageId"], Attribute="uefiData")["UefiData"]["Value"]
        == "QU1aTlVFRkk="
    )


# --- name rules --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ab", "x" * 129, "bad*name", "semi;colon"])
def test_malformed_names_rejected(aws, name):
    ec2 = aws.client("ec2", validate=False)  # let "ab" reach the emulator
    src = make_source(ec2, "nm-src")
    with pytest.raises(ClientError) as e:
        copy(ec2, src, name)
    assert error_code(e.value) == "InvalidAMIName.Malformed"


def test_allowed_name_characters_and_duplicates(aws):
    ec2 = aws.ec2()
    west = aws.ec2("us-west-2")
    src = make_source(ec2, "dup-src")
    name = "My (copy) [v1] ./-'@_"
    copy(ec2, src, name)
    with pytest.raises(ClientError) as e:
        copy(ec2, src, name)
    assert error_code(e.value) == "InvalidAMIName.Duplicate"
    with pytest.raises(ClientError) as e:
        copy(ec2, src, image(ec2, src)["Name"])  # the source's own name, same region
    assert error_code(e.value) == "InvalidAMIName.Duplicate"
    copy(west, src, name)  # another region is fine


# --- errors instead of HTTP 500 ------------------------------------------------------------------


def test_unknown_source_region(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "reg-src")
    with pytest.raises(ClientError) as e:
        copy(ec2, src, "reg-copy", region="mars-north-1")
    assert error_code(e.value) == "InvalidParameterValue"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_deregistered_unknown_and_malformed_source(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "gone-src")
    ec2.deregister_image(ImageId=src)
    for source, code in (
        (src, "InvalidAMIID.NotFound"),
        ("ami-0123456789abcdef0", "InvalidAMIID.NotFound"),
        ("ami-xyz", "InvalidAMIID.Malformed"),
    ):
        with pytest.raises(ClientError) as e:
            copy(ec2, source, "gone-copy")
        assert error_code(e.value) == code
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_dry_run(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "dry-src")
    with pytest.raises(ClientError) as e:
        ec2.copy_image(Name="dry-copy", SourceImageId=src, SourceRegion="us-east-1", DryRun=True)
    assert error_code(e.value) == "DryRunOperation"


def test_outpost_parameter_combinations(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "opc-src")
    arn = "arn:aws:outposts:us-east-1:123456789012:outpost/op-0123456789abcdef0"
    for extra in (
        {"DestinationAvailabilityZone": "us-east-1-bos-1a"},
        {"SnapshotCopyCompletionDurationMinutes": 15},
    ):
        with pytest.raises(ClientError) as e:
            copy(ec2, src, "opc-copy", DestinationOutpostArn=arn, **extra)
        assert error_code(e.value) == "InvalidParameterCombination"


def test_copy_of_a_pending_copy_is_refused(aws):
    ec2 = aws.ec2()
    src = make_source(ec2, "pend-src")
    aws.copy_rule(duration_seconds=60)
    pending = copy(ec2, src, f"pend-copy-{aws.akid[-8:]}")
    with pytest.raises(ClientError) as e:
        copy(ec2, pending, f"pend-copy2-{aws.akid[-8:]}")
    assert error_code(e.value) == "IncorrectState"
