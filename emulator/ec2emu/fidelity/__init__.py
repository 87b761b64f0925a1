"""The AMI fidelity layer: patches applied to moto's EC2 models and responses in this process."""

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from . import (  # noqa: F401  (each module patches on import)
        model,
        lifecycle,
        copy_image,
        create_image,
        register_image,
        attributes,
        deprecation,
        protection,
        deregister,
        snapshot_deletion,
        pending_snapshot,
        disabled,
        describe_filters,
        visibility,
        paging,
    )

    visibility.install()  # wraps the describes the modules above may have replaced
    paging.install()  # pages what the describes above list, so it goes last

    _installed = True
