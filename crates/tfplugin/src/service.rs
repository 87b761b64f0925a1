//! The `tfplugin6.Provider` gRPC service: decodes each call with the schema's type, calls the
//! `Provider`/`Resource`/`DataSource` trait, and encodes the answer. Failures become diagnostics.
//!
//! Every RPC has the same frame, written once in [`ProviderService::rpc`]: a panic guard around
//! the whole call, one list of diagnostics gathered along the way ([`Rpc`]), and an answer that
//! carries them whether the call finished or stopped early. Each handler is only its own lines.
//!
//! Identities (`crate::identity`) are answered here for every resource alike: each state that
//! goes back to Terraform carries its identity, checked against the one Terraform holds. List
//! resources (`crate::list_resource`) stream through a [`StreamSink`].

use crate::convert::{self, decode_dynamic, encode_dynamic};
use crate::data_source::{unknown_result, DataSource, ReadDataRequest};
use crate::diag::{Diagnostic, Diagnostics};
use crate::identity::{self, IdentitySchema};
use crate::list_resource::{ListRequest, ListResource, ListSink};
use crate::list_stream::StreamSink;
use crate::proto::tfplugin6 as pb;
use crate::provider::{
    ApplyRequest, ConfigureRequest, Context, MoveStateRequest, PlanRequest, Provider, ReadRequest,
    Resource,
};
use crate::schema::Schema;
use crate::value::{Type, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};

/// One resource or data source type: its implementation, its schema (asked once) and the type
/// the schema implies, which decodes and encodes its values.
struct Entry<T: ?Sized> {
    imp: Arc<T>,
    schema: Schema,
    ty: Type,
    /// A resource type's identity, when it has one, with the identity's type.
    identity: Option<(IdentitySchema, Type)>,
}

impl<T: ?Sized> Entry<T> {
    /// A value Terraform sent; `what` names it in the diagnostic of a failure.
    fn decode(&self, dv: Option<&pb::DynamicValue>, what: &str) -> Result<Value, Diagnostics> {
        decode_dynamic(dv, &self.ty, what)
    }
    /// A value for Terraform; `what` names it in the diagnostic of a failure.
    fn encode(&self, v: &Value, what: &str) -> Result<pb::DynamicValue, Diagnostics> {
        encode_dynamic(v, &self.ty, what)
    }
}

impl Entry<dyn Resource> {
    /// An identity Terraform sent (null when it sent none or the type has none).
    fn decode_identity(
        &self,
        sent: Option<&pb::ResourceIdentityData>,
    ) -> Result<Value, Diagnostics> {
        match (&self.identity, sent.and_then(|d| d.identity_data.as_ref())) {
            (Some((_, ty)), Some(dv)) => decode_dynamic(Some(dv), ty, "resource identity"),
            _ => Ok(Value::Null),
        }
    }

    /// The identity of the object `state` describes, for Terraform: none when the type has no
    /// identity or the state names no object yet, an error when it contradicts `stored` (the
    /// identity `whose` holds; null when there is none to hold it to).
    fn identity(
        &self,
        type_name: &str,
        state: &Value,
        stored: &Value,
        whose: &str,
    ) -> Result<Option<pb::ResourceIdentityData>, Diagnostics> {
        let Some((_, ty)) = &self.identity else {
            return Ok(None);
        };
        let id = if state.is_null() {
            Value::Null
        } else {
            self.imp.identity(state)
        };
        // A planned create's identity is not known until apply, and Terraform takes none rather
        // than one with unknown values (its JSON plan cannot hold them).
        if id.is_null() || id.contains_unknown() {
            return Ok(None);
        }
        let differ = identity::contradictions(stored, &id);
        if !differ.is_empty() {
            return Err(identity::changed(type_name, whose, &differ).into());
        }
        Ok(Some(pb::ResourceIdentityData {
            identity_data: Some(encode_dynamic(&id, ty, "resource identity")?),
        }))
    }
}

/// Schemas are asked for once, on first use, so that nothing but the handshake runs before the
/// handshake line is printed.
struct Catalog {
    provider_schema: Schema,
    provider_ty: Type,
    resources: BTreeMap<String, Entry<dyn Resource>>,
    data_sources: BTreeMap<String, Entry<dyn DataSource>>,
    list_resources: BTreeMap<String, Entry<dyn ListResource>>,
}

/// The catalog entries of one kind: each type's schema, asked once, with its implied type.
fn entries<T: ?Sized>(
    types: Vec<(String, Arc<T>)>,
    schema_of: impl Fn(&T) -> Schema,
    identity_of: impl Fn(&T) -> Option<IdentitySchema>,
) -> BTreeMap<String, Entry<T>> {
    types
        .into_iter()
        .map(|(name, imp)| {
            let schema = schema_of(&imp);
            let ty = schema.block.implied_type();
            let identity = identity_of(&imp).map(|i| {
                let ty = i.implied_type();
                (i, ty)
            });
            let entry = Entry {
                imp,
                schema,
                ty,
                identity,
            };
            (name, entry)
        })
        .collect()
}

pub struct ProviderService {
    provider: Arc<dyn Provider>,
    catalog: OnceLock<Catalog>,
    stop: CancellationToken,
}

type Answer<T> = Result<Response<T>, Status>;

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

/// The diagnostics of one RPC, gathered as it goes. Cheap to clone: the handler's body and the
/// frame around it ([`ProviderService::rpc`]) share one list, so what was gathered before a
/// panic or an early stop is still answered.
#[derive(Clone, Default)]
struct Rpc(Arc<Mutex<Diagnostics>>);

/// The RPC stopped early; its answer is the response's default with the diagnostics so far.
struct Stop;

impl Rpc {
    fn diags(&self) -> std::sync::MutexGuard<'_, Diagnostics> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// Adds diagnostics and carries on.
    fn add(&self, d: Diagnostics) {
        self.diags().extend(d);
    }
    /// A step's value; when it failed, its diagnostics are added and the RPC stops (`?`).
    fn step<T>(&self, r: Result<T, Diagnostics>) -> Result<T, Stop> {
        r.map_err(|d| {
            self.add(d);
            Stop
        })
    }
    /// Adds a call's diagnostics; stops the RPC when any of those gathered is an error.
    fn stop_on_errors(&self, d: Diagnostics) -> Result<(), Stop> {
        self.add(d);
        if self.diags().has_errors() {
            Err(Stop)
        } else {
            Ok(())
        }
    }
    fn take(&self) -> Vec<pb::Diagnostic> {
        convert::diagnostics(&std::mem::take(&mut *self.diags()))
    }
}

/// A response that carries the RPC's diagnostics (every one but StopProvider's).
trait Reply: Default {
    fn set_diagnostics(&mut self, d: Vec<pb::Diagnostic>);
}

macro_rules! replies {
    ($($t:ty),* $(,)?) => {
        $(impl Reply for $t {
            fn set_diagnostics(&mut self, d: Vec<pb::Diagnostic>) {
                self.diagnostics = d;
            }
        })*
    };
}

replies!(
    pb::validate_provider_config::Response,
    pb::validate_resource_config::Response,
    pb::validate_data_resource_config::Response,
    pb::read_data_source::Response,
    pb::move_resource_state::Response,
    pb::upgrade_resource_state::Response,
    pb::configure_provider::Response,
    pb::read_resource::Response,
    pb::plan_resource_change::Response,
    pb::apply_resource_change::Response,
    pb::import_resource_state::Response,
    pb::upgrade_resource_identity::Response,
    pb::validate_list_resource_config::Response,
);

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
                |r| r.identity_schema(),
            );
            let data_sources = entries(self.provider.data_sources(), |d| d.schema(), |_| None);
            let list_resources = entries(self.provider.list_resources(), |l| l.schema(), |_| None);
            Catalog {
                provider_schema,
                provider_ty,
                resources,
                data_sources,
                list_resources,
            }
        })
    }

    fn resource(&self, name: &str) -> Result<&Entry<dyn Resource>, Diagnostics> {
        self.catalog()
            .resources
            .get(name)
            .ok_or_else(|| unknown_type("resource", name))
    }

    fn data_source(&self, name: &str) -> Result<&Entry<dyn DataSource>, Diagnostics> {
        self.catalog()
            .data_sources
            .get(name)
            .ok_or_else(|| unknown_type("data source", name))
    }

    fn list_resource(&self, name: &str) -> Result<&Entry<dyn ListResource>, Diagnostics> {
        self.catalog()
            .list_resources
            .get(name)
            .ok_or_else(|| unknown_type("list resource", name))
    }

    fn provider_config(&self, dv: Option<&pb::DynamicValue>) -> Result<Value, Diagnostics> {
        decode_dynamic(dv, &self.catalog().provider_ty, "provider configuration")
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

    /// The frame of every RPC: runs `body` on the request (named `call` in a crash report)
    /// under the panic guard with a fresh [`Rpc`], and answers with its response, or with the
    /// response's default when it stopped early or panicked, carrying every diagnostic gathered.
    async fn rpc<Q, R, F, Fut>(&self, call: &str, req: Request<Q>, body: F) -> Answer<R>
    where
        R: Reply,
        F: FnOnce(Rpc, Q) -> Fut,
        Fut: Future<Output = Result<R, Stop>>,
    {
        let rpc = Rpc::default();
        let mut reply = match guarded(call, body(rpc.clone(), req.into_inner())).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(Stop)) => R::default(),
            Err(crash) => {
                rpc.add(crash);
                R::default()
            }
        };
        reply.set_diagnostics(rpc.take());
        Ok(Response::new(reply))
    }
}

impl ProviderService {
    /// What a ListResource call needs before it streams: the list resource, its resource type's
    /// identity and schema (into `sink`), and the decoded and validated `config`. An error here
    /// is the listing's one event, and nothing is listed.
    async fn listing(
        &self,
        req: &pb::list_resource::Request,
        sink: &mut StreamSink,
    ) -> Result<(Arc<dyn ListResource>, ListRequest), Diagnostics> {
        let entry = self.list_resource(&req.type_name)?;
        let listed = self.resource(&req.type_name)?;
        let Some((_, identity_ty)) = &listed.identity else {
            return Err(Diagnostic::error(
                "List resource without an identity",
                format!(
                    "{} has no resource identity, which every listed object needs. This is a bug in the provider.",
                    req.type_name
                ),
            )
            .into());
        };
        sink.encode_with(identity_ty, &listed.ty);
        let config = entry.decode(req.config.as_ref(), "list configuration")?;
        let checks = guarded("ValidateListResourceConfig", entry.imp.validate(&config)).await?;
        if checks.has_errors() {
            return Err(checks);
        }
        let lreq = ListRequest {
            config,
            include_resource_object: req.include_resource_object,
            limit: sink.wanted(),
        };
        Ok((entry.imp.clone(), lreq))
    }
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Answer<pb::get_metadata::Response> {
        let cat = self.catalog();
        let resources = cat.resources.keys();
        let data_sources = cat.data_sources.keys();
        let list_resources = cat.list_resources.keys();
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(Self::capabilities()),
            resources: resources
                .map(|n| pb::get_metadata::ResourceMetadata {
                    type_name: n.clone(),
                })
                .collect(),
            data_sources: data_sources
                .map(|n| pb::get_metadata::DataSourceMetadata {
                    type_name: n.clone(),
                })
                .collect(),
            list_resources: list_resources
                .map(|n| pb::get_metadata::ListResourceMetadata {
                    type_name: n.clone(),
                })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Answer<pb::get_provider_schema::Response> {
        let cat = self.catalog();
        Ok(Response::new(pb::get_provider_schema::Response {
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
            list_resource_schemas: cat
                .list_resources
                .iter()
                .map(|(n, e)| (n.clone(), convert::schema(&e.schema)))
                .collect(),
            server_capabilities: Some(Self::capabilities()),
            ..Default::default()
        }))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Answer<pb::get_resource_identity_schemas::Response> {
        let identities = self.catalog().resources.iter();
        Ok(Response::new(pb::get_resource_identity_schemas::Response {
            identity_schemas: identities
                .filter_map(|(n, e)| {
                    Some((n.clone(), convert::identity_schema(&e.identity.as_ref()?.0)))
                })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Answer<pb::get_functions::Response> {
        Ok(Response::new(Default::default()))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Answer<pb::validate_provider_config::Response> {
        self.rpc("ValidateProviderConfig", req, |rpc, req| async move {
            let config = rpc.step(self.provider_config(req.config.as_ref()))?;
            rpc.add(self.provider.validate(&config).await);
            Ok(Default::default())
        })
        .await
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Answer<pb::validate_resource_config::Response> {
        self.rpc("ValidateResourceConfig", req, |rpc, req| async move {
            let entry = rpc.step(self.resource(&req.type_name))?;
            let config = rpc.step(entry.decode(req.config.as_ref(), "resource configuration"))?;
            rpc.add(entry.imp.validate(&config).await);
            Ok(Default::default())
        })
        .await
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Answer<pb::validate_data_resource_config::Response> {
        self.rpc("ValidateDataResourceConfig", req, |rpc, req| async move {
            let entry = rpc.step(self.data_source(&req.type_name))?;
            let what = "data source configuration";
            let config = rpc.step(entry.decode(req.config.as_ref(), what))?;
            rpc.add(entry.imp.validate(&config).await);
            Ok(Default::default())
        })
        .await
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Answer<pb::read_data_source::Response> {
        self.rpc("ReadDataSource", req, |rpc, req| async move {
            let entry = rpc.step(self.data_source(&req.type_name))?;
            let what = "data source configuration";
            let config = rpc.step(entry.decode(req.config.as_ref(), what))?;
            if config.contains_unknown() {
                // Terraform postpones such a read to apply by itself; a client that may defer is
                // told to, any other gets an error rather than a read of half a query.
                let deferral_allowed = req.client_capabilities.is_some_and(|c| c.deferral_allowed);
                if !deferral_allowed {
                    rpc.add(Diagnostic::error(
                        "Data source configuration not yet known",
                        format!(
                            "{} cannot be read while its configuration holds values known only after apply.",
                            req.type_name
                        ),
                    ).into());
                    return Err(Stop);
                }
                let placeholder = unknown_result(&entry.schema, &config);
                return Ok(pb::read_data_source::Response {
                    state: Some(rpc.step(entry.encode(&placeholder, "data source state"))?),
                    deferred: Some(pb::Deferred {
                        reason: pb::deferred::Reason::ResourceConfigUnknown as i32,
                    }),
                    ..Default::default()
                });
            }
            let resp = entry
                .imp
                .read(&self.ctx(), ReadDataRequest { config })
                .await;
            rpc.stop_on_errors(resp.diagnostics)?;
            Ok(pb::read_data_source::Response {
                state: Some(rpc.step(entry.encode(&resp.state, "data source state"))?),
                ..Default::default()
            })
        })
        .await
    }

    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> Answer<pb::move_resource_state::Response> {
        self.rpc("MoveResourceState", req, |rpc, req| async move {
            let entry = rpc.step(self.resource(&req.target_type_name))?;
            let mreq = MoveStateRequest {
                source_provider_address: req.source_provider_address,
                source_type_name: req.source_type_name,
                source_schema_version: req.source_schema_version,
                source_state_json: req.source_state.map(|s| s.json).unwrap_or_default(),
                source_private: req.source_private,
                target_type_name: req.target_type_name,
            };
            let type_name = mreq.target_type_name.clone();
            let resp = entry.imp.move_state(&self.ctx(), mreq).await;
            rpc.stop_on_errors(resp.diagnostics)?;
            let state = &resp.target_state;
            Ok(pb::move_resource_state::Response {
                target_state: Some(rpc.step(entry.encode(state, "moved state"))?),
                target_private: resp.target_private,
                target_identity: rpc.step(entry.identity(&type_name, state, &Value::Null, ""))?,
                ..Default::default()
            })
        })
        .await
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Answer<pb::upgrade_resource_state::Response> {
        self.rpc("UpgradeResourceState", req, |rpc, req| async move {
            let entry = rpc.step(self.resource(&req.type_name))?;
            let raw = req.raw_state.unwrap_or_default();
            if raw.json.is_empty() && !raw.flatmap.is_empty() {
                rpc.add(Diagnostic::error(
                    "Unsupported state format",
                    "The stored state uses the flatmap format of Terraform 0.11 and earlier, which this provider cannot read.",
                ).into());
                return Err(Stop);
            }
            let upgraded = rpc.step(entry.imp.upgrade_state(req.version, &raw.json).await)?;
            let state = rpc.step(entry.encode(&upgraded, "upgraded state"))?;
            crate::expected_reads::announce(&req.type_name, &upgraded);
            Ok(pb::upgrade_resource_state::Response {
                upgraded_state: Some(state),
                ..Default::default()
            })
        })
        .await
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Answer<pb::configure_provider::Response> {
        self.rpc("ConfigureProvider", req, |rpc, req| async move {
            let creq = ConfigureRequest {
                terraform_version: req.terraform_version,
                config: rpc.step(self.provider_config(req.config.as_ref()))?,
            };
            rpc.add(self.provider.configure(&self.ctx(), creq).await);
            Ok(Default::default())
        })
        .await
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Answer<pb::read_resource::Response> {
        self.rpc("ReadResource", req, |rpc, req| async move {
            let entry = rpc.step(self.resource(&req.type_name))?;
            let current_state =
                rpc.step(entry.decode(req.current_state.as_ref(), "current state"))?;
            let stored = rpc.step(entry.decode_identity(req.current_identity.as_ref()))?;
            let ctx = Context {
                announced_read: crate::expected_reads::arrived(&req.type_name, &current_state),
                ..self.ctx()
            };
            let rreq = ReadRequest {
                current_state,
                private: req.private,
                current_identity: stored.clone(),
            };
            let resp = entry.imp.read(&ctx, rreq).await;
            rpc.add(resp.diagnostics);
            let identity = entry.identity(&req.type_name, &resp.new_state, &stored, "the state");
            Ok(pb::read_resource::Response {
                new_identity: rpc.step(identity)?,
                new_state: Some(rpc.step(entry.encode(&resp.new_state, "new state"))?),
                private: resp.private,
                ..Default::default()
            })
        })
        .await
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Answer<pb::plan_resource_change::Response> {
        self.rpc("PlanResourceChange", req, |rpc, req| async move {
            let entry = rpc.step(self.resource(&req.type_name))?;
            let preq = PlanRequest {
                prior_state: rpc.step(entry.decode(req.prior_state.as_ref(), "prior state"))?,
                proposed_new_state: rpc
                    .step(entry.decode(req.proposed_new_state.as_ref(), "proposed new state"))?,
                config: rpc.step(entry.decode(req.config.as_ref(), "configuration"))?,
                prior_private: req.prior_private,
            };
            // An update keeps the object, so its identity; a create or replacement makes another.
            let keeps_object = !preq.prior_state.is_null();
            let prior = rpc.step(entry.decode_identity(req.prior_identity.as_ref()))?;
            let resp = entry.imp.plan(&self.ctx(), preq).await;
            rpc.add(resp.diagnostics);
            let stored = match keeps_object && resp.requires_replace.is_empty() {
                true => prior,
                false => Value::Null,
            };
            let identity =
                entry.identity(&req.type_name, &resp.planned_state, &stored, "the state");
            Ok(pb::plan_resource_change::Response {
                planned_identity: rpc.step(identity)?,
                planned_state: Some(rpc.step(entry.encode(&resp.planned_state, "planned state"))?),
                requires_replace: resp
                    .requires_replace
                    .iter()
                    .map(convert::attribute_path)
                    .collect(),
                planned_private: resp.planned_private,
                legacy_type_system: plans_unknown_computed_blocks(
                    &entry.schema,
                    &resp.planned_state,
                ),
                ..Default::default()
            })
        })
        .await
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Answer<pb::apply_resource_change::Response> {
        self.rpc("ApplyResourceChange", req, |rpc, req| async move {
            let entry = rpc.step(self.resource(&req.type_name))?;
            let areq = ApplyRequest {
                prior_state: rpc.step(entry.decode(req.prior_state.as_ref(), "prior state"))?,
                planned_state: rpc
                    .step(entry.decode(req.planned_state.as_ref(), "planned state"))?,
                config: rpc.step(entry.decode(req.config.as_ref(), "configuration"))?,
                planned_private: req.planned_private,
            };
            let legacy = plans_unknown_computed_blocks(&entry.schema, &areq.planned_state);
            let planned = rpc.step(entry.decode_identity(req.planned_identity.as_ref()))?;
            let resp = entry.imp.apply(&self.ctx(), areq).await;
            rpc.add(resp.diagnostics);
            let identity = entry.identity(&req.type_name, &resp.new_state, &planned, "the plan");
            Ok(pb::apply_resource_change::Response {
                new_identity: rpc.step(identity)?,
                new_state: Some(rpc.step(entry.encode(&resp.new_state, "new state"))?),
                private: resp.private,
                legacy_type_system: legacy,
                ..Default::default()
            })
        })
        .await
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Answer<pb::import_resource_state::Response> {
        self.rpc("ImportResourceState", req, |rpc, req| async move {
            let entry = rpc.step(self.resource(&req.type_name))?;
            // `import { identity = { ... } }` sends an identity and no id (Terraform 1.12+).
            let given = rpc.step(entry.decode_identity(req.identity.as_ref()))?;
            let resp = match given.is_null() {
                true => entry.imp.import(&self.ctx(), &req.id).await,
                false => entry.imp.import_by_identity(&self.ctx(), &given).await,
            };
            rpc.add(resp.diagnostics);
            let mut imported_resources = Vec::with_capacity(resp.imported.len());
            for v in &resp.imported {
                let identity = entry.identity(&req.type_name, v, &given, "the import block");
                imported_resources.push(pb::import_resource_state::ImportedResource {
                    type_name: req.type_name.clone(),
                    state: Some(rpc.step(entry.encode(v, "imported state"))?),
                    identity: rpc.step(identity)?,
                    ..Default::default()
                });
            }
            Ok(pb::import_resource_state::Response {
                imported_resources,
                ..Default::default()
            })
        })
        .await
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> Answer<pb::upgrade_resource_identity::Response> {
        self.rpc("UpgradeResourceIdentity", req, |rpc, req| async move {
            let entry = rpc.step(self.resource(&req.type_name))?;
            let Some((_, ty)) = &entry.identity else {
                let d = unknown_type("resource identity", &req.type_name);
                return rpc.step(Err(d));
            };
            let raw = req.raw_identity.unwrap_or_default().json;
            let upgraded = rpc.step(entry.imp.upgrade_identity(req.version, &raw).await)?;
            let identity_data = rpc.step(encode_dynamic(&upgraded, ty, "upgraded identity"))?;
            Ok(pb::upgrade_resource_identity::Response {
                upgraded_identity: Some(pb::ResourceIdentityData {
                    identity_data: Some(identity_data),
                }),
                ..Default::default()
            })
        })
        .await
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<pb::validate_list_resource_config::Request>,
    ) -> Answer<pb::validate_list_resource_config::Response> {
        self.rpc("ValidateListResourceConfig", req, |rpc, req| async move {
            let entry = rpc.step(self.list_resource(&req.type_name))?;
            let config = rpc.step(entry.decode(req.config.as_ref(), "list configuration"))?;
            rpc.add(entry.imp.validate(&config).await);
            Ok(Default::default())
        })
        .await
    }

    async fn list_resource(
        &self,
        req: Request<pb::list_resource::Request>,
    ) -> Answer<BoxStream<pb::list_resource::Event>> {
        let req = req.into_inner();
        let (tx, rx) = mpsc::channel(16);
        let limit = u64::try_from(req.limit).unwrap_or(0);
        let mut sink = StreamSink::new(tx, limit, req.include_resource_object);
        match self.listing(&req, &mut sink).await {
            Err(d) => {
                sink.diagnostics(d).await;
            }
            Ok((lister, lreq)) => {
                let ctx = self.ctx();
                tokio::spawn(async move {
                    if sink.wanted() == 0 {
                        return;
                    }
                    let listed = guarded("ListResource", lister.list(&ctx, lreq, &mut sink)).await;
                    if let Err(crash) = listed {
                        sink.diagnostics(crash).await;
                    }
                });
            }
        }
        let events = tokio_stream::wrappers::ReceiverStream::new(rx);
        Ok(Response::new(Box::pin(events)))
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Answer<pb::stop_provider::Response> {
        // Answer at once; running calls see the cancelled token and wind down on their own.
        tracing::info!("StopProvider received; cancelling running operations");
        self.stop.cancel();
        Ok(Response::new(pb::stop_provider::Response::default()))
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
