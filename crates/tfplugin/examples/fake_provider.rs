//! A provider with one in-memory resource, `<local name>_widget`, for trying the protocol
//! crate against a real Terraform without any cloud: build it, name the binary
//! `terraform-provider-<name>` and point a `dev_overrides` entry at its directory.

use async_trait::async_trait;
use std::sync::Arc;
use tfplugin::*;

struct FakeProvider;
struct Widget;

#[async_trait]
impl Provider for FakeProvider {
    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            block: Block::new("Fake provider.").attr(Attribute::optional(
                "region",
                Type::String,
                "",
            )),
        }
    }
    fn resources(&self) -> Vec<(String, Arc<dyn Resource>)> {
        // The prefix must be the provider's local name; the AWS-named binary is `aws`.
        vec![("aws_widget".to_string(), Arc::new(Widget))]
    }
    async fn configure(&self, _ctx: &Context, req: ConfigureRequest) -> Diagnostics {
        tracing::info!(terraform_version = %req.terraform_version, "configured");
        Diagnostics::new()
    }
}

#[async_trait]
impl Resource for Widget {
    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            block: Block::new("A widget kept only in state.")
                .attr(Attribute::required(
                    "name",
                    Type::String,
                    "Name; changing it replaces the widget.",
                ))
                .attr(Attribute::computed("id", Type::String, "Identifier."))
                .attr(Attribute::optional(
                    "tags",
                    Type::map(Type::String),
                    "Tags.",
                ))
                .attr(Attribute::optional("size", Type::Number, "Size.")),
        }
    }
    async fn plan(&self, _ctx: &Context, req: PlanRequest) -> PlanResponse {
        let mut planned = req.proposed_new_state.clone();
        let mut requires_replace = vec![];
        if !planned.is_null() {
            if req.prior_state.is_null() {
                planned.set("id", Value::Unknown);
            } else if req.prior_state.get("name") != planned.get("name") {
                requires_replace.push(AttributePath::root("name"));
                planned.set("id", Value::Unknown);
            }
        }
        PlanResponse {
            planned_state: planned,
            requires_replace,
            ..Default::default()
        }
    }
    async fn apply(&self, _ctx: &Context, req: ApplyRequest) -> ApplyResponse {
        let mut state = req.planned_state.clone();
        if !state.is_null() && state.get("id").is_unknown() {
            let name = state.get("name").as_str().unwrap_or("widget").to_string();
            state.set("id", Value::string(format!("w-{name}")));
        }
        ApplyResponse {
            new_state: state,
            ..Default::default()
        }
    }
    async fn read(&self, _ctx: &Context, req: ReadRequest) -> ReadResponse {
        ReadResponse {
            new_state: req.current_state,
            private: req.private,
            ..Default::default()
        }
    }
    async fn import(&self, _ctx: &Context, id: &str) -> ImportResponse {
        let mut v = Value::Null;
        v.set("id", Value::string(id));
        v.set("name", Value::string(id.trim_start_matches("w-")));
        ImportResponse {
            imported: vec![v],
            ..Default::default()
        }
    }
}

fn main() -> std::process::ExitCode {
    tfplugin::serve(FakeProvider)
}
