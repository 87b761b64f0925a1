"""Parallel tests share one emulator: calls from several access keys at once stay separated."""

from concurrent.futures import ThreadPoolExecutor

from conftest import Clients, make_source


def test_parallel_copies_by_several_keys(emu, request):
    keys = [f"AKIDPARALLEL{i:04d}{abs(hash(request.node.nodeid)) % 10000:04d}" for i in range(4)]
    clients = [Clients(emu, k) for k in keys]
    try:
        for i, c in enumerate(clients):
            c.copy_rule(duration_seconds=0 if i % 2 == 0 else 60)

        def work(c):
            ec2 = c.ec2()
            src = make_source(ec2, "par-src")
            ids = [
                ec2.copy_image(Name=f"{c.akid}-copy-{n}", SourceImageId=src, SourceRegion="us-east-1")[
                    "ImageId"
                ]
                for n in range(5)
            ]
            return {i["State"] for i in ec2.describe_images(ImageIds=ids)["Images"]}

        with ThreadPoolExecutor(max_workers=4) as pool:
            states = list(pool.map(work, clients))
        assert states == [{"available"}, {"pending"}, {"available"}, {"pending"}]
        for c in clients:
            calls = c.calls()
            assert (
                len(calls) == 1 + 1 + 1 + 5 + 1
            )  # CreateVolume, CreateSnapshot, RegisterImage, 5 CopyImage, DescribeImages
            assert {x["access_key_id"] for x in calls} == {c.akid}
    finally:
        for k in keys:
            emu.control("POST", "reset", json={"access_key_id": k})


def test_reset_backends_wipes_moto(stock_emu, stock_aws):
    ec2 = stock_aws.ec2("ap-south-1")
    image_id = ec2.register_image(Name="wiped-soon")["ImageId"]
    r = stock_emu.control("POST", "reset", json={"backends": True})
    assert r.json() == {"reset": True, "backends": True}
    assert ec2.describe_images(Owners=["self"])["Images"] == []
    assert image_id
