import {
  to = aws_ami_copy.example
  id = "ami-0123456789abcdef0"
}
