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
                .attr(
                    Attribute::required(
                        "name",
                        Type::String,
                        "Name; changing it replaces the widget.",
                    )
                    .replace_on_change(),
                )
                .attr(Attribute::computed("id", Type::String, "Identifier."))
                .attr(Attribute::optional(
                    "tags",
                    Type::map(Type::String),
                    "Tags.",
                ))
                .attr(Attribute::optional("size", Type::Number, "Size.")),
        }
    }
    // No `plan`: the default plans `id` unknown on create and replaces on a new `name`, as the
    // schema declares. No `apply`: the default calls create, update or delete.
    async fn create(&self, _ctx: &Context, req: ApplyRequest) -> ApplyResponse {
        let mut state = req.planned_state;
        let name = state.get("name").as_str().unwrap_or("widget").to_string();
        state.set("id", Value::string(format!("w-{name}")));
        ApplyResponse {
            new_state: state,
            ..Default::default()
        }
    }
    async fn update(&self, _ctx: &Context, req: ApplyRequest) -> ApplyResponse {
        ApplyResponse {
            new_state: req.planned_state,
            ..Default::default()
        }
    }
    async fn delete(&self, _ctx: &Context, _req: ApplyRequest) -> ApplyResponse {
        ApplyResponse::default()
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
