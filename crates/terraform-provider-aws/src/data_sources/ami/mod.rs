//! `data "aws_ami"`: finds one AMI as hashicorp/aws's data source does, with its schema, its
//! values and its messages, so configurations that look their source image up need no second
//! provider.
//!
//! Reading order: `schema` (the attributes, checked against upstream's list), `query` (the
//! configuration as a DescribeImages query, static checks, the unsafe-query guard), `select`
//! (name_regex, none / several / most recent), `flatten` (the image as state).
//!
//! Upstream asks GetInstanceUefiData with the image id for `uefi_data`, which never succeeds,
//! so its `uefi_data` stays empty; this reads the image's own `uefiData` attribute instead, and
//! only for UEFI images (others have none), keeping `""` when that read fails.

mod flatten;
mod query;
mod schema;
mod select;

use crate::ec2::bare_500;
use crate::ec2::call::bounded;
use crate::ec2::errors::describe_sdk_error;
use crate::provider::clients::{AwsClients, ProviderState};
use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, Image};
use query::Query;
use std::sync::Arc;
use tfplugin::{
    Context, DataSource, Diagnostics, ReadDataRequest, ReadDataResponse, Schema, Value,
};

pub struct AmiDataSource {
    state: Arc<ProviderState>,
}

impl AmiDataSource {
    pub fn new(state: Arc<ProviderState>) -> Self {
        AmiDataSource { state }
    }
}

#[async_trait]
impl DataSource for AmiDataSource {
    fn schema(&self) -> Schema {
        schema::schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        query::validate(config)
    }

    async fn read(&self, ctx: &Context, req: ReadDataRequest) -> ReadDataResponse {
        let mut diagnostics = Diagnostics::new();
        let state = match self.state.clients() {
            Ok(clients) => lookup(&clients, ctx, &req.config, &mut diagnostics).await,
            Err(d) => {
                diagnostics.extend(d);
                Value::Null
            }
        };
        ReadDataResponse { state, diagnostics }
    }
}

/// The lookup; on failure the diagnostics hold an error and the value is null.
async fn lookup(
    clients: &AwsClients,
    ctx: &Context,
    config: &Value,
    diags: &mut Diagnostics,
) -> Value {
    let q = Query::from_config(config);
    if let Some(d) = q.unsafe_filter_diagnostic() {
        diags.push(d);
        if diags.has_errors() {
            return Value::Null;
        }
    }
    let name_regex = match q.name_regex.as_deref().map(regex::Regex::new).transpose() {
        Ok(re) => re,
        Err(e) => {
            diags.error("Invalid name_regex", e.to_string());
            return Value::Null;
        }
    };
    let region = q.region.clone().unwrap_or_else(|| clients.region.clone());
    let ec2 = clients.ec2(&region);
    // Every call below gives up when Ctrl-C comes or `timeouts { read }` runs out.
    let ctx = &ctx.with_timeout("read", q.read_timeout);
    let found = bounded(
        ctx,
        "DescribeImages",
        describe_images(&ec2, &q, &bare_500::endpoint(clients, &region)),
    )
    .await
    .map_err(|e| e.describe());
    let images = match found {
        Ok(images) => images,
        Err(e) => {
            diags.error(
                "Cannot read EC2 AMIs",
                format!("DescribeImages in {region} failed: {e}."),
            );
            return Value::Null;
        }
    };
    let image = match select::select(images, name_regex.as_ref(), q.most_recent) {
        Ok(image) => image,
        Err((summary, detail)) => {
            diags.error(summary, detail);
            return Value::Null;
        }
    };
    // The resource's optional read: a backend that cannot answer (stock moto answers 500) costs
    // two quick attempts, not the client's full retry policy.
    let support = crate::ec2::uefi::support(clients as *const AwsClients as usize, &region);
    let read = async { Ok::<_, ()>(crate::ec2::uefi::uefi_data(&ec2, &image, &support).await) };
    let uefi_data = bounded(ctx, "DescribeImageAttribute uefiData", read)
        .await
        .ok()
        .flatten()
        .flatten();
    let env = flatten::Env {
        region: &region,
        partition: &clients.partition,
        ignore_tags: &clients.ignore_tags,
        uefi_data,
    };
    flatten::flatten(&image, config, &env)
}

/// DescribeImages with the query's owners, executable users, filters and IncludeDeprecated
/// (always sent, as upstream does), every page.
async fn describe_images(
    ec2: &aws_sdk_ec2::Client,
    q: &Query,
    endpoint: &str,
) -> Result<Vec<Image>, String> {
    let filters: Vec<Filter> = q
        .filters
        .iter()
        .map(|(name, values)| {
            Filter::builder()
                .name(name)
                .set_values(Some(values.clone()))
                .build()
        })
        .collect();
    let non_empty = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
    let asked = if q.filters.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = q.filters.iter().map(|(n, _)| n.as_str()).collect();
        format!("with filter {}", names.join(", "))
    };
    let mut images = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ec2
            .describe_images()
            .set_owners(non_empty(&q.owners))
            .set_executable_users(non_empty(&q.executable_users))
            .set_filters((!filters.is_empty()).then(|| filters.clone()))
            .include_deprecated(q.include_deprecated)
            .set_next_token(token.take())
            .customize()
            .config_override(bare_500::describe_images())
            .send()
            .await
            .map_err(|e| {
                if bare_500::is_bare_500(&e) {
                    bare_500::describe(endpoint, "DescribeImages", &asked)
                } else {
                    describe_sdk_error(&e)
                }
            })?;
        images.extend(page.images().iter().cloned());
        match page.next_token().filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    Ok(images)
}
