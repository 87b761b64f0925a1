//! The Terraform configurations the tests write: the provider block and one copy.

use super::{Lane, Tf};

/// Set to a number, the stock lane's provider blocks carry `max_retries = N`. Stock moto answers
/// some calls with HTTP 500, which the SDK retries for minutes by default; a developer may want
/// the failure at once. Unset (as in `make test`), the provider's own default applies.
const STOCK_MAX_RETRIES: &str = "AMICOPY_STOCK_MAX_RETRIES";

impl Tf {
    /// The provider block pointing at the emulator with this test's credentials; `extra` is
    /// inserted inside it (e.g. `default_tags { ... }`).
    pub fn provider_block(&self, region: &str, extra: &str) -> String {
        if self.real_aws {
            return format!("provider \"aws\" {{\n  region = \"{region}\"\n{extra}\n}}\n");
        }
        let retries = match std::env::var(STOCK_MAX_RETRIES) {
            Ok(n) if self.lane == Lane::Stock => format!("  max_retries = {n}\n"),
            _ => String::new(),
        };
        format!(
            r#"provider "aws" {{
  region     = "{region}"
  access_key = "{key}"
  secret_key = "test-secret"
  endpoints {{
    ec2 = "{url}"
    sts = "{url}"
    kms = "{url}"
  }}
{retries}{extra}
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
