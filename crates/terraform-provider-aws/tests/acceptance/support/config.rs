//! The Terraform configurations the tests write: the provider block and one copy.

use super::Tf;

impl Tf {
    /// The provider block pointing at the emulator with this test's credentials; `extra` is
    /// inserted inside it (e.g. `default_tags { ... }`).
    pub fn provider_block(&self, region: &str, extra: &str) -> String {
        format!(
            r#"provider "aws" {{
  region     = "{region}"
  access_key = "{key}"
  secret_key = "test-secret"
  endpoints {{
    ec2 = "{url}"
    sts = "{url}"
  }}
{extra}
}}
"#,
            key = self.access_key,
            url = self.emulator
        )
    }

    /// The configuration most tests use: this test's provider block in `region` and one
    /// `aws_ami_copy.test` (see `ami_copy`) copying `source` from the same region.
    pub fn copy_config(&self, region: &str, name: &str, source: &str, extra: &str) -> String {
        format!(
            "{}{}",
            self.provider_block(region, ""),
            ami_copy(name, source, region, extra)
        )
    }
}

/// The `aws_ami_copy "test"` block the tests use; `extra` goes inside it.
pub fn ami_copy(name: &str, source_id: &str, source_region: &str, extra: &str) -> String {
    format!(
        r#"
resource "aws_ami_copy" "test" {{
  name              = "{name}"
  source_ami_id     = "{source_id}"
  source_ami_region = "{source_region}"
{extra}
}}
"#
    )
}
