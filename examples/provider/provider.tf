terraform {
  required_providers {
    aws = {
      source = "amicopy/aws"
    }
  }
}

# Credentials come from the usual AWS chain (environment, shared config and credentials files,
# SSO profiles, credential_process, web identity, container or instance metadata).
provider "aws" {
  region = "us-east-1"

  default_tags {
    tags = {
      ManagedBy = "terraform"
    }
  }
}
