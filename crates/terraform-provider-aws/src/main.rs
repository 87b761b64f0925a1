//! `terraform-provider-aws` (source `amicopy/aws`): serves `aws_ami_copy` to Terraform.

mod data_sources;
mod ec2;
mod provider;
mod resources;
mod tags;
mod validators;
#[cfg(test)]
mod wording;

/// The release, from the crate version: `make release` refuses to package a binary whose
/// `--version` differs from the version it is asked to publish.
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn main() -> std::process::ExitCode {
    // Answered before the plugin handshake, so it works without Terraform's cookie.
    if std::env::args()
        .skip(1)
        .any(|a| a == "--version" || a == "-version")
    {
        println!("terraform-provider-aws {VERSION}");
        return std::process::ExitCode::SUCCESS;
    }
    tfplugin::serve_version(provider::AwsProvider::new(), VERSION)
}
