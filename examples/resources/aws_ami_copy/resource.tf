resource "aws_ami_copy" "example" {
  name              = "terraform-example"
  source_ami_id     = "ami-0123456789abcdef0"
  source_ami_region = "us-west-1"

  tags = {
    Name = "HelloWorld"
  }
}
