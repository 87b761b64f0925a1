//! The `tfplugin6.Provider` gRPC service: decodes each call with the schema's type, calls the
//! `Provider`/`Resource`/`DataSource` trait, and encodes the answer. Failures become diagnostics.

use crate::convert::{self, decode_dynamic, encode_dynamic};
use crate::data_source::{unknown_result, DataSource, ReadDataRequest};
use crate::diag::{Diagnostic, Diagnostics};
use crate::proto::tfplugin6 as pb;
use crate::provider::{
    ApplyRequest, ConfigureRequest, Context, MoveStateRequest, PlanRequest, Provider, ReadRequest,
    Resource,
};
use crate::schema::Schema;
use crate::value::{Type, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

struct ResourceEntry {
    resource: Arc<dyn Resource>,
    schema: Schema,
    ty: Type,
}

struct DataSourceEntry {
    data_source: Arc<dyn DataSource>,
    schema: Schema,
    ty: Type,
}

/// Schemas are asked for once, on first use, so that nothing but the handshake runs before the
/// handshake line is printed.
struct Catalog {
    provider_schema: Schema,
    provider_ty: Type,
    resources: BTreeMap<String, ResourceEntry>,
    data_sources: BTreeMap<String, DataSourceEntry>,
}

/// The catalog entries of one kind: each type's schema, asked once, with its implied type.
fn entries<T: ?Sized, E>(
    types: Vec<(String, Arc<T>)>,
    schema_of: impl Fn(&T) -> Schema,
    entry: impl Fn(Arc<T>, Schema, Type) -> E,
) -> BTreeMap<String, E> {
    types
        .into_iter()
        .map(|(name, imp)| {
            let schema = schema_of(&imp);
            let ty = schema.block.implied_type();
            (name, entry(imp, schema, ty))
        })
        .collect()
}

pub struct ProviderService {
    provider: Arc<dyn Provider>,
    catalog: OnceLock<Catalog>,
    stop: CancellationToken,
}

type Answer<T> = Result<Response<T>, Status>;

fn ok<T>(t: T) -> Answer<T> {
    Ok(Response::new(t))
}

fn unknown_type(kind: &str, name: &str) -> Diagnostics {
    Diagnostic::error(
        format!("Unknown {kind} type"),
        format!("This provider does not support the {kind} type {name:?}."),
    )
    .into()
}

/// Runs a provider call, turning a panic into an error diagnostic: otherwise Terraform only
/// sees a reset stream and the user gets no hint of what failed.
async fn guarded<T>(
    call: &str,
    fut: impl std::future::Future<Output = T>,
) -> Result<T, Diagnostics> {
    use futures_util::FutureExt;
    std::panic::AssertUnwindSafe(fut)
        .catch_unwind()
        .await
        .map_err(|payload| {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            tracing::error!(call, panic = %msg, "provider call panicked");
            Diagnostic::error(
                "Provider crashed",
                format!(
                    "The provider panicked during {call}: {msg}. This is a bug in the provider."
                ),
            )
            .into()
        })
}

impl ProviderService {
    pub fn new(provider: Arc<dyn Provider>, stop: CancellationToken) -> Self {
        ProviderService {
            provider,
            catalog: OnceLock::new(),
            stop,
        }
    }

    fn catalog(&self) -> &Catalog {
        self.catalog.get_or_init(|| {
            let provider_schema = self.provider.schema();
            let provider_ty = provider_schema.block.implied_type();
            let resources = entries(
                self.provider.resources(),
                |r| r.schema(),
                |resource, schema, ty| ResourceEntry {
                    resource,
                    schema,
                    ty,
                },
            );
            let data_sources = entries(
                self.provider.data_sources(),
                |d| d.schema(),
                |data_source, schema, ty| DataSourceEntry {
                    data_source,
                    schema,
                    ty,
                },
            );
            Catalog {
                provider_schema,
                provider_ty,
                resources,
                data_sources,
            }
        })
    }

    fn resource(&self, name: &str) -> Result<&ResourceEntry, Diagnostics> {
        self.catalog()
            .resources
            .get(name)
            .ok_or_else(|| unknown_type("resource", name))
    }

    fn data_source(&self, name: &str) -> Result<&DataSourceEntry, Diagnostics> {
        self.catalog()
            .data_sources
            .get(name)
            .ok_or_else(|| unknown_type("data source", name))
    }

    fn ctx(&self) -> Context {
        Context {
            stop: self.stop.clone(),
            deadline: None,
            announced_read: false,
        }
    }

    fn capabilities() -> pb::ServerCapabilities {
        pb::ServerCapabilities {
            plan_destroy: false,
            get_provider_schema_optional: false,
            move_resource_state: true,
            generate_resource_config: false,
        }
    }
}

/// `?` for handlers: on `Err(diagnostics)`, answers at once with the diagnostics gathered so
/// far plus these, built by `$resp` (the response constructor taking the diagnostic list).
macro_rules! try_diag {
    ($e:expr, $diags:ident, $resp:expr) => {
        match $e {
            Ok(v) => v,
            Err(d) => {
                $diags.extend(d);
                return ok($resp(convert::diagnostics(&$diags)));
            }
        }
    };
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Answer<pb::get_metadata::Response> {
        let resources = self
            .catalog()
            .resources
            .keys()
            .map(|n| pb::get_metadata::ResourceMetadata {
                type_name: n.clone(),
            })
            .collect();
        let data_sources = self
            .catalog()
            .data_sources
            .keys()
            .map(|n| pb::get_metadata::DataSourceMetadata {
                type_name: n.clone(),
            })
            .collect();
        ok(pb::get_metadata::Response {
            server_capabilities: Some(Self::capabilities()),
            resources,
            data_sources,
            ..Default::default()
        })
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Answer<pb::get_provider_schema::Response> {
        let cat = self.catalog();
        ok(pb::get_provider_schema::Response {
            provider: Some(convert::schema(&cat.provider_schema)),
            provider_meta: self.provider.meta_schema().as_ref().map(convert::schema),
            resource_schemas: cat
                .resources
                .iter()
                .map(|(n, e)| (n.clone(), convert::schema(&e.schema)))
                .collect(),
            data_source_schemas: cat
                .data_sources
                .iter()
                .map(|(n, e)| (n.clone(), convert::schema(&e.schema)))
                .collect(),
            server_capabilities: Some(Self::capabilities()),
            ..Default::default()
        })
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Answer<pb::get_resource_identity_schemas::Response> {
        ok(Default::default())
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Answer<pb::get_functions::Response> {
        ok(Default::default())
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Answer<pb::validate_provider_config::Response> {
        let req = req.into_inner();
        let mk = |diagnostics| pb::validate_provider_config::Response { diagnostics };
        let mut diags = Diagnostics::new();
        let config = try_diag!(
            decode_dynamic(
                req.config.as_ref(),
                &self.catalog().provider_ty,
                "provider configuration"
            ),
            diags,
            mk
        );
        diags.extend(try_diag!(
            guarded("ValidateProviderConfig", self.provider.validate(&config)).await,
            diags,
            mk
        ));
        ok(mk(convert::diagnostics(&diags)))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Answer<pb::validate_resource_config::Response> {
        let req = req.into_inner();
        let mk = |diagnostics| pb::validate_resource_config::Response { diagnostics };
        let mut diags = Diagnostics::new();
        let entry = try_diag!(self.resource(&req.type_name), diags, mk);
        let config = try_diag!(
            decode_dynamic(req.config.as_ref(), &entry.ty, "resource configuration"),
            diags,
            mk
        );
        diags.extend(try_diag!(
            guarded("ValidateResourceConfig", entry.resource.validate(&config)).await,
            diags,
            mk
        ));
        ok(mk(convert::diagnostics(&diags)))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Answer<pb::validate_data_resource_config::Response> {
        let req = req.into_inner();
        let mk = |diagnostics| pb::validate_data_resource_config::Response { diagnostics };
        let mut diags = Diagnostics::new();
        let entry = try_diag!(self.data_source(&req.type_name), diags, mk);
        let config = try_diag!(
            decode_dynamic(req.config.as_ref(), &entry.ty, "data source configuration"),
            diags,
            mk
        );
        diags.extend(try_diag!(
            guarded(
                "ValidateDataResourceConfig",
                entry.data_source.validate(&config)
            )
            .await,
            diags,
            mk
        ));
        ok(mk(convert::diagnostics(&diags)))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Answer<pb::read_data_source::Response> {
        let req = req.into_inner();
        let mk = |diagnostics| pb::read_data_source::Response {
            diagnostics,
            ..Default::default()
        };
        let mut diags = Diagnostics::new();
        let entry = try_diag!(self.data_source(&req.type_name), diags, mk);
        let config = try_diag!(
            decode_dynamic(req.config.as_ref(), &entry.ty, "data source configuration"),
            diags,
            mk
        );
        if config.contains_unknown() {
            // Terraform postpones such a read to apply by itself; a client that may defer is
            // told to, any other gets an error rather than a read of half a query.
            let deferral_allowed = req.client_capabilities.is_some_and(|c| c.deferral_allowed);
            if !deferral_allowed {
                diags.error(
                    "Data source configuration not yet known",
                    format!(
                        "{} cannot be read while its configuration holds values known only after apply.",
                        req.type_name
                    ),
                );
                return ok(mk(convert::diagnostics(&diags)));
            }
            let placeholder = unknown_result(&entry.schema, &config);
            let state = try_diag!(
                encode_dynamic(&placeholder, &entry.ty, "data source state"),
                diags,
                mk
            );
            return ok(pb::read_data_source::Response {
                state: Some(state),
                diagnostics: convert::diagnostics(&diags),
                deferred: Some(pb::Deferred {
                    reason: pb::deferred::Reason::ResourceConfigUnknown as i32,
                }),
            });
        }
        let resp = try_diag!(
            guarded(
                "ReadDataSource",
                entry
                    .data_source
                    .read(&self.ctx(), ReadDataRequest { config })
            )
            .await,
            diags,
            mk
        );
        diags.extend(resp.diagnostics);
        if diags.has_errors() {
            return ok(mk(convert::diagnostics(&diags)));
        }
        let state = try_diag!(
            encode_dynamic(&resp.state, &entry.ty, "data source state"),
            diags,
            mk
        );
        ok(pb::read_data_source::Response {
            state: Some(state),
            diagnostics: convert::diagnostics(&diags),
            deferred: None,
        })
    }

    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> Answer<pb::move_resource_state::Response> {
        let req = req.into_inner();
        let mk = |diagnostics| pb::move_resource_state::Response {
            diagnostics,
            ..Default::default()
        };
        let mut diags = Diagnostics::new();
        let entry = try_diag!(self.resource(&req.target_type_name), diags, mk);
        let mreq = MoveStateRequest {
            source_provider_address: req.source_provider_address,
            source_type_name: req.source_type_name,
            source_schema_version: req.source_schema_version,
            source_state_json: req.source_state.map(|s| s.json).unwrap_or_default(),
            source_private: req.source_private,
            target_type_name: req.target_type_name,
        };
        let resp = try_diag!(
            guarded(
                "MoveResourceState",
                entry.resource.move_state(&self.ctx(), mreq)
            )
            .await,
            diags,
            mk
        );
        diags.extend(resp.diagnostics);
        if diags.has_errors() {
            return ok(mk(convert::diagnostics(&diags)));
        }
        let state = try_diag!(
            encode_dynamic(&resp.target_state, &entry.ty, "moved state"),
            diags,
            mk
        );
        ok(pb::move_resource_state::Response {
            target_state: Some(state),
            target_private: resp.target_private,
            diagnostics: convert::diagnostics(&diags),
            ..Default::default()
        })
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Answer<pb::upgrade_resource_state::Response> {
        let req = req.into_inner();
        let mk = |diagnostics| pb::upgrade_resource_state::Response {
            upgraded_state: None,
            diagnostics,
        };
        let mut diags = Diagnostics::new();
        let entry = try_diag!(self.resource(&req.type_name), diags, mk);
        let raw = req.raw_state.unwrap_or_default();
        if raw.json.is_empty() && !raw.flatmap.is_empty() {
            diags.error(
                "Unsupported state format",
                "The stored state uses the flatmap format of Terraform 0.11 and earlier, which this provider cannot read.",
            );
            return ok(mk(convert::diagnostics(&diags)));
        }
        let upgraded = try_diag!(
            guarded(
                "UpgradeResourceState",
                entry.resource.upgrade_state(req.version, &raw.json)
            )
            .await
            .and_then(|r| r),
            diags,
            mk
        );
        let state = try_diag!(
            encode_dynamic(&upgraded, &entry.ty, "upgraded state"),
            diags,
            mk
        );
        crate::expected_reads::announce(&req.type_name, &upgraded);
        ok(pb::upgrade_resource_state::Response {
            upgraded_state: Some(state),
            diagnostics: convert::diagnostics(&diags),
        })
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Answer<pb::configure_provider::Response> {
        let req = req.into_inner();
        let mk = |diagnostics| pb::configure_provider::Response { diagnostics };
        let mut diags = Diagnostics::new();
        let config = try_diag!(
            decode_dynamic(
                req.config.as_ref(),
                &self.catalog().provider_ty,
                "provider configuration"
            ),
            diags,
            mk
        );
        let creq = ConfigureRequest {
            terraform_version: req.terraform_version,
            config,
        };
        diags.extend(try_diag!(
            guarded(
                "ConfigureProvider",
                self.provider.configure(&self.ctx(), creq)
            )
            .await,
            diags,
            mk
        ));
        ok(mk(convert::diagnostics(&diags)))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Answer<pb::read_resource::Response> {
        let req = req.into_inner();
        let mk = |diagnostics| pb::read_resource::Response {
            diagnostics,
            ..Default::default()
        };
        let mut diags = Diagnostics::new();
        let entry = try_diag!(self.resource(&req.type_name), diags, mk);
        let current_state = try_diag!(
            decode_dynamic(req.current_state.as_ref(), &entry.ty, "current state"),
            diags,
            mk
        );
        let ctx = Context {
            announced_read: crate::expected_reads::arrived(&req.type_name, &current_state),
            ..self.ctx()
        };
        let rreq = ReadRequest {
            current_state,
            private: req.private,
        };
        let resp = try_diag!(
            guarded("ReadResource", entry.resource.read(&ctx, rreq)).await,
            diags,
            mk
        );
        diags.extend(resp.diagnostics);
        let new_state = try_diag!(
            encode_dynamic(&resp.new_state, &entry.ty, "new state"),
            diags,
            mk
        );
        ok(pb::read_resource::Response {
            new_state: Some(new_state),
            diagnostics: convert::diagnostics(&diags),
            private: resp.private,
            ..Default::default()
        })
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Answer<pb::plan_resource_change::Response> {
        let req = req.into_inner();
        let mk = |diagnostics| pb::plan_resource_change::Response {
            diagnostics,
            ..Default::default()
        };
        let mut diags = Diagnostics::new();
        let entry = try_diag!(self.resource(&req.type_name), diags, mk);
        let prior_state = try_diag!(
            decode_dynamic(req.prior_state.as_ref(), &entry.ty, "prior state"),
            diags,
            mk
        );
        let proposed_new_state = try_diag!(
            decode_dynamic(
                req.proposed_new_state.as_ref(),
                &entry.ty,
                "proposed new state"
            ),
            diags,
            mk
        );
        let config = try_diag!(
            decode_dynamic(req.config.as_ref(), &entry.ty, "configuration"),
            diags,
            mk
        );
        let preq = PlanRequest {
            prior_state,
            proposed_new_state,
            config,
            prior_private: req.prior_private,
        };
        let resp = try_diag!(
            guarded("PlanResourceChange", entry.resource.plan(&self.ctx(), preq)).await,
            diags,
            mk
        );
        diags.extend(resp.diagnostics);
        let legacy = plans_unknown_computed_blocks(&entry.schema, &resp.planned_state);
        let planned = try_diag!(
            encode_dynamic(&resp.planned_state, &entry.ty, "planned state"),
            diags,
            mk
        );
        ok(pb::plan_resource_change::Response {
            planned_state: Some(planned),
            requires_replace: resp
                .requires_replace
                .iter()
                .map(convert::attribute_path)
                .collect(),
            planned_private: resp.planned_private,
            diagnostics: convert::diagnostics(&diags),
            legacy_type_system: legacy,
            ..Default::default()
        })
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Answer<pb::apply_resource_change::Response> {
        let req = req.into_inner();
        let mk = |diagnostics| pb::apply_resource_change::Response {
            diagnostics,
            ..Default::default()
        };
        let mut diags = Diagnostics::new();
        let entry = try_diag!(self.resource(&req.type_name), diags, mk);
        let prior_state = try_diag!(
            decode_dynamic(req.prior_state.as_ref(), &entry.ty, "prior state"),
            diags,
            mk
        );
        let planned_state = try_diag!(
            decode_dynamic(req.planned_state.as_ref(), &entry.ty, "planned state"),
            diags,
            mk
        );
        let config = try_diag!(
            decode_dynamic(req.config.as_ref(), &entry.ty, "configuration"),
            diags,
            mk
        );
        let legacy = plans_unknown_computed_blocks(&entry.schema, &planned_state);
        let areq = ApplyRequest {
            prior_state,
            planned_state,
            config,
            planned_private: req.planned_private,
        };
        let resp = try_diag!(
            guarded(
                "ApplyResourceChange",
                entry.resource.apply(&self.ctx(), areq)
            )
            .await,
            diags,
            mk
        );
        diags.extend(resp.diagnostics);
        let new_state = try_diag!(
            encode_dynamic(&resp.new_state, &entry.ty, "new state"),
            diags,
            mk
        );
        ok(pb::apply_resource_change::Response {
            new_state: Some(new_state),
            private: resp.private,
            diagnostics: convert::diagnostics(&diags),
            legacy_type_system: legacy,
            ..Default::default()
        })
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Answer<pb::import_resource_state::Response> {
        let req = req.into_inner();
        let mk = |diagnostics| pb::import_resource_state::Response {
            diagnostics,
            ..Default::default()
        };
        let mut diags = Diagnostics::new();
        let entry = try_diag!(self.resource(&req.type_name), diags, mk);
        let resp = try_diag!(
            guarded(
                "ImportResourceState",
                entry.resource.import(&self.ctx(), &req.id)
            )
            .await,
            diags,
            mk
        );
        diags.extend(resp.diagnostics);
        let mut imported_resources = Vec::with_capacity(resp.imported.len());
        for v in &resp.imported {
            let state = try_diag!(encode_dynamic(v, &entry.ty, "imported state"), diags, mk);
            imported_resources.push(pb::import_resource_state::ImportedResource {
                type_name: req.type_name.clone(),
                state: Some(state),
                ..Default::default()
            });
        }
        ok(pb::import_resource_state::Response {
            imported_resources,
            diagnostics: convert::diagnostics(&diags),
            ..Default::default()
        })
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Answer<pb::stop_provider::Response> {
        // Answer at once; running calls see the cancelled token and wind down on their own.
        tracing::info!("StopProvider received; cancelling running operations");
        self.stop.cancel();
        ok(pb::stop_provider::Response::default())
    }
}

/// Whether a planned state holds [computed blocks](crate::schema::NestedBlock::is_computed) still
/// unknown: a create's, or an update's that plans them again (a resource that has yet to learn
/// what its object is). How many such blocks the cloud will report is unknown until then, and
/// the protocol can only say so for a provider using the legacy type system (as
/// terraform-plugin-sdk providers, whose states we read, do): only then does Terraform accept a
/// planned placeholder element that turns into any number of blocks, or none. Updates that plan
/// the blocks as the prior state holds them need no leniency.
fn plans_unknown_computed_blocks(schema: &Schema, planned: &Value) -> bool {
    !planned.is_null()
        && schema
            .block
            .blocks
            .iter()
            .filter(|b| b.is_computed())
            .any(|b| planned.get(&b.type_name).contains_unknown())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, Block, NestedBlock, Nesting};
    use crate::value::Type;

    fn schema() -> Schema {
        let device =
            Block::new("a device").attr(Attribute::computed("name", Type::String, "its name"));
        Schema {
            version: 0,
            block: Block::new("a resource")
                .attr(Attribute::computed("id", Type::String, "the id"))
                .block(NestedBlock::new("device", Nesting::Set, device)),
        }
    }

    fn state(devices: Vec<Value>) -> Value {
        let mut v = Value::Map(Default::default());
        v.set("id", Value::string("x"));
        v.set("device", Value::List(devices));
        v
    }

    fn device(name: Value) -> Value {
        let mut d = Value::Map(Default::default());
        d.set("name", name);
        d
    }

    #[test]
    fn only_plans_with_unknown_computed_blocks_need_the_legacy_leniency() {
        let s = schema();
        // A create (or an update that has yet to learn its object): a placeholder of unknowns.
        assert!(plans_unknown_computed_blocks(
            &s,
            &state(vec![device(Value::Unknown)])
        ));
        // Blocks as the prior state holds them: known, however many.
        assert!(!plans_unknown_computed_blocks(
            &s,
            &state(vec![device(Value::string("a"))])
        ));
        assert!(!plans_unknown_computed_blocks(&s, &state(vec![])));
        // Unknown attributes elsewhere do not count; a destroy plans nothing.
        let mut unknown_id = state(vec![]);
        unknown_id.set("id", Value::Unknown);
        assert!(!plans_unknown_computed_blocks(&s, &unknown_id));
        assert!(!plans_unknown_computed_blocks(&s, &Value::Null));
    }
}
