//! `list "aws_ami_copy"` for `terraform query` (Terraform 1.14 and later): this account's AMI
//! copies, region by region, one DescribeImages page at a time, each streamed to Terraform as
//! soon as its page arrives. Each result carries the copy's identity (see `identity`), a display
//! name (its name and region) and, when asked, the state an import followed by a read would
//! record, so that `terraform query -generate-config-out` writes configuration that plans clean.
//!
//! - Only DescribeImages: a listing makes no other call per copy. The one attribute a
//!   DescribeImages does not report, `uefi_data` (DescribeImageAttribute, computed only), is left
//!   empty in the listed object; the read after an import fills it in.
//! - Terraform's `limit` sizes the pages: each asks for what Terraform still takes (at least
//!   [`MIN_PAGE`], at most [`MAX_PAGE`]), and no page is asked for once Terraform has all it
//!   takes.
//! - A copy whose source the backend does not report (stock moto) is still listed, with a
//!   warning that the generated configuration needs its `source_ami_id` and
//!   `source_ami_region`; when the query names a source, such copies cannot be matched and are
//!   left out, with one warning that says how many.

use super::flatten::{observe, FlattenEnv};
use super::list_args::{self, Query, SourceMatch};
use super::model::{AmiCopyState, Cty};
use super::schema::stored;
use crate::ec2::call::bounded;
use crate::provider::clients::{AwsClients, ProviderState};
use async_trait::async_trait;
use aws_sdk_ec2::types::{Image, ImageState};
use std::sync::Arc;
use tfplugin::{
    Context, Diagnostic, Diagnostics, ListRequest, ListResource, ListResult, ListSink, Schema,
    Value,
};

/// The smallest page asked for: EC2 documents 5 as the least `MaxResults` of its paginated
/// describes.
pub const MIN_PAGE: u64 = 5;
/// The largest page EC2 answers.
pub const MAX_PAGE: u64 = 1000;

pub struct AmiCopyList {
    state: Arc<ProviderState>,
}

impl AmiCopyList {
    pub fn new(state: Arc<ProviderState>) -> Self {
        AmiCopyList { state }
    }
}

#[async_trait]
impl ListResource for AmiCopyList {
    fn schema(&self) -> Schema {
        list_args::schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        list_args::validate(config)
    }

    async fn list(&self, ctx: &Context, req: ListRequest, out: &mut dyn ListSink) {
        let clients = match self.state.clients() {
            Ok(c) => c,
            Err(d) => {
                out.diagnostics(d).await;
                return;
            }
        };
        let bad = list_args::check_regions(&req.config, clients.skip_region_validation);
        if bad.has_errors() {
            out.diagnostics(bad).await;
            return;
        }
        let query = Query::of(&req.config, &clients.region);
        let mut unmatched = Vec::new();
        for region in &query.regions {
            let listing = Listing {
                clients: &clients,
                ctx,
                query: &query,
                region,
                include_object: req.include_resource_object,
            };
            if !listing.run(out, &mut unmatched).await {
                return;
            }
        }
        if !unmatched.is_empty() {
            out.diagnostics(source_not_reported(&unmatched).into())
                .await;
        }
    }
}

/// One region's listing.
struct Listing<'a> {
    clients: &'a AwsClients,
    ctx: &'a Context,
    query: &'a Query,
    region: &'a str,
    include_object: bool,
}

impl Listing<'_> {
    /// Streams the region's copies; whether to go on with the next region.
    async fn run(&self, out: &mut dyn ListSink, unmatched: &mut Vec<String>) -> bool {
        let ec2 = self.clients.ec2(self.region);
        let region = Region {
            ec2: &ec2,
            ctx: self.ctx,
            query: self.query,
            name: self.region,
        };
        region
            .pages(out, unmatched, |image| self.result(image))
            .await
    }

    fn result(&self, image: &Image) -> ListResult {
        let id = image.image_id().unwrap_or_default();
        // What an import then a read records: the region, then everything the image says.
        let base = AmiCopyState {
            region: Some(self.region.to_string()),
            ..Default::default()
        };
        let env = FlattenEnv::of(self.clients, self.region);
        let state = stored(observe(image, &base, None, &env).to_cty());
        let mut diagnostics = Diagnostics::new();
        if image.source_image_id().is_none_or(str::is_empty) {
            diagnostics.push(Diagnostic::warning(
                "Source of an AMI copy not reported",
                format!(
                    "The backend does not report which AMI {id} was copied from, so generated \
                     configuration leaves its source_ami_id and source_ami_region null: fill them \
                     in. The plan then records them in the state without making a new copy."
                ),
            ));
        }
        ListResult {
            identity: super::identity::of_state(&state, Some(self.clients)),
            display_name: format!("{} ({})", image.name().unwrap_or(id), self.region),
            resource_object: self.include_object.then_some(state),
            diagnostics,
        }
    }
}

/// DescribeImages of one region, page by page.
struct Region<'a> {
    ec2: &'a aws_sdk_ec2::Client,
    ctx: &'a Context,
    query: &'a Query,
    name: &'a str,
}

impl Region<'_> {
    /// Pages through the account's images (the query's EC2 filters applied), sending to `out`
    /// what `result` makes of each one whose source matches, until the last page or until `out`
    /// takes no more; whether to go on with the next region. Each page asks for what `out` still
    /// takes, so no page is asked for once Terraform has all it takes. `unmatched` collects the
    /// images a source argument could not be checked against.
    async fn pages(
        &self,
        out: &mut dyn ListSink,
        unmatched: &mut Vec<String>,
        result: impl Fn(&Image) -> ListResult,
    ) -> bool {
        let mut token: Option<String> = None;
        loop {
            let wanted = out.wanted();
            if wanted == 0 {
                return false;
            }
            let page_size = wanted.clamp(MIN_PAGE, MAX_PAGE) as i32;
            let filters = self.query.ec2_filters();
            let call = self
                .ec2
                .describe_images()
                .owners("self")
                .include_disabled(true)
                .set_filters(Some(filters).filter(|f| !f.is_empty()))
                .max_results(page_size)
                .set_next_token(token.clone())
                .customize()
                .config_override(crate::ec2::bare_500::describe_images())
                .send();
            let page = match bounded(self.ctx, "DescribeImages", call).await {
                Ok(page) => page,
                Err(e) => {
                    let d = Diagnostic::error(
                        "Cannot list AMI copies",
                        format!(
                            "Listing this account's AMIs in {}: {}",
                            self.name,
                            e.describe()
                        ),
                    );
                    out.diagnostics(d.into()).await;
                    return false;
                }
            };
            for image in page.images() {
                if image.state() == Some(&ImageState::Deregistered) {
                    continue;
                }
                match self.query.source_of(image) {
                    SourceMatch::Yes => {}
                    SourceMatch::No => continue,
                    SourceMatch::Unknown => {
                        let id = image.image_id().unwrap_or_default();
                        unmatched.push(format!("{id} ({})", self.name));
                        continue;
                    }
                }
                if !out.result(result(image)).await {
                    return false;
                }
            }
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if token.is_none() {
                return true;
            }
        }
    }
}

fn source_not_reported(ids: &[String]) -> Diagnostic {
    Diagnostic::warning(
        "AMI copies left out: source not reported",
        format!(
            "The backend does not report the source of {} AMI(s) that otherwise match, so \
             source_ami_id / source_ami_region could not be checked and they are not listed: {}.",
            ids.len(),
            ids.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests;
