//! `terraform-provider-aws` (source `amicopy/aws`): serves `aws_ami_copy` to Terraform.

mod data_sources;
mod ec2;
mod provider;
mod resources;
mod tags;
mod validators;

fn main() -> std::process::ExitCode {
    tfplugin::serve(provider::AwsProvider::new())
}
