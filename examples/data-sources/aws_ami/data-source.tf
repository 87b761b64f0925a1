# The newest of your own images named golden-*, in us-west-1.
data "aws_ami" "golden" {
  most_recent = true
  owners      = ["self"]
  region      = "us-west-1"

  filter {
    name   = "name"
    values = ["golden-*"]
  }

  filter {
    name   = "state"
    values = ["available"]
  }
}
