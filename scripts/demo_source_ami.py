"""Helpers for scripts/demo.sh, talking to the EC2 emulator with boto3.

    demo_source_ami.py source REGION NAME    make a source AMI (volume -> snapshot -> image), print its id
    demo_source_ami.py leftovers REGION NAME SNAPSHOT_ID...
                                             print what is left of a copy; exit 1 if anything is

The emulator URL comes from AMICOPY_EMULATOR_URL, the access key from DEMO_ACCESS_KEY.
"""

import os
import sys

import boto3
from botocore.exceptions import ClientError


def ec2(region):
    return boto3.client(
        "ec2",
        region_name=region,
        endpoint_url=os.environ["AMICOPY_EMULATOR_URL"],
        aws_access_key_id=os.environ.get("DEMO_ACCESS_KEY", "AKIDDEMO"),
        aws_secret_access_key="demo-secret",
    )


def make_source(region, name):
    client = ec2(region)
    vol = client.create_volume(AvailabilityZone=f"{region}a", Size=8, VolumeType="gp3")
    snap = client.create_snapshot(VolumeId=vol["VolumeId"], Description=f"source of {name}")
    image = client.register_image(
        Name=name,
        Architecture="x86_64",
        VirtualizationType="hvm",
        RootDeviceName="/dev/xvda",
        EnaSupport=True,
        BlockDeviceMappings=[
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {
                    "SnapshotId": snap["SnapshotId"],
                    "VolumeSize": 8,
                    "VolumeType": "gp3",
                    "DeleteOnTermination": True,
                },
            }
        ],
    )
    print(image["ImageId"])


def leftovers(region, name, snapshot_ids):
    client = ec2(region)
    images = [
        i
        for i in client.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": [name]}])["Images"]
        if i.get("State") != "deregistered"
    ]
    left = [f"image {i['ImageId']} ({i['Name']}, {i['State']})" for i in images]
    for sid in snapshot_ids:
        try:
            found = client.describe_snapshots(SnapshotIds=[sid])["Snapshots"]
        except ClientError as e:
            if e.response["Error"]["Code"] != "InvalidSnapshot.NotFound":
                raise
            found = []
        left += [f"snapshot {s['SnapshotId']}" for s in found]
    print(f"  images named {name!r} in {region}: {len(images)}")
    print(f"  snapshots of the copy still present: {len(left) - len(images)} of {len(snapshot_ids)}")
    if left:
        print("  LEFT BEHIND: " + ", ".join(left))
        sys.exit(1)


def main(argv):
    if len(argv) >= 3 and argv[0] == "source":
        make_source(argv[1], argv[2])
    elif len(argv) >= 3 and argv[0] == "leftovers":
        leftovers(argv[1], argv[2], argv[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
