"""EC2-style client errors (HTTP 400, <Response><Errors><Error><Code>…) raised by the fidelity layer."""

from __future__ import annotations

from moto.ec2.exceptions import EC2ClientError


def ec2_error(code: str, message: str) -> EC2ClientError:
    return EC2ClientError(code, message)


def invalid_parameter_value(message: str) -> EC2ClientError:
    return ec2_error("InvalidParameterValue", message)


def missing_parameter(name: str) -> EC2ClientError:
    return ec2_error("MissingParameter", f"The request must contain the parameter {name}")


def ami_not_found(ami_id: str) -> EC2ClientError:
    return ec2_error("InvalidAMIID.NotFound", f"The image id '[{ami_id}]' does not exist")


def ami_malformed(ami_id: str) -> EC2ClientError:
    return ec2_error("InvalidAMIID.Malformed", f'Invalid id: "{ami_id}" (expecting "ami-...")')
