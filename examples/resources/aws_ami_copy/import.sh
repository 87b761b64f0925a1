# An existing copy is imported by the id of its AMI.
terraform import aws_ami_copy.example ami-0123456789abcdef0
