//! Resource identity (protocol 6.9) and list resources (6.10) over the wire, with the
//! in-process client playing Terraform's part: what the server answers for every resource that
//! declares an identity, and how it streams a listing.

use async_trait::async_trait;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::testing::{connect_from_line, spawn_server, ClientCert, Clients, TestServer};
use tfplugin::*;

/// How many results the last listing produced, and how many it was told Terraform wanted.
#[derive(Default)]
struct Seen {
    produced: AtomicU64,
    first_wanted: AtomicU64,
}

struct FakeProvider(Arc<Seen>);
/// `fake_thing`: an id and a region; its identity is both.
struct Thing;
/// Lists ten `fake_thing`s named `PREFIX-0` ... `PREFIX-9`.
struct Things(Arc<Seen>);

#[async_trait]
impl Provider for FakeProvider {
    fn schema(&self) -> Schema {
        Schema::default()
    }
    fn resources(&self) -> Vec<(String, Arc<dyn Resource>)> {
        vec![("fake_thing".to_string(), Arc::new(Thing))]
    }
    fn list_resources(&self) -> Vec<(String, Arc<dyn ListResource>)> {
        vec![("fake_thing".to_string(), Arc::new(Things(self.0.clone())))]
    }
    async fn configure(&self, _ctx: &Context, _req: ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }
}

fn thing_schema() -> Schema {
    Schema {
        version: 0,
        block: Block::new("thing")
            .attr(Attribute::optional_computed("id", Type::String, ""))
            .attr(Attribute::optional("region", Type::String, "")),
    }
}

fn thing(id: Value, region: &str) -> Value {
    let mut v = Value::Null;
    v.set("id", id);
    v.set("region", Value::string(region));
    v
}

#[async_trait]
impl Resource for Thing {
    fn schema(&self) -> Schema {
        thing_schema()
    }
    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(
            IdentitySchema::new(1)
                .attr(IdentityAttribute::required("id", Type::String, "the id"))
                .attr(IdentityAttribute::optional("region", Type::String, "")),
        )
    }
    fn identity(&self, state: &Value) -> Value {
        match state.get("id") {
            Value::Null => Value::Null,
            id => thing(id.clone(), state.get("region").as_str().unwrap_or("home")),
        }
    }
    async fn import_by_identity(&self, _ctx: &Context, identity: &Value) -> ImportResponse {
        // "elsewhere" stands for an object the identity names wrongly: its region differs.
        let region = match identity.get("region").as_str() {
            Some("elsewhere") => "home",
            Some(r) => r,
            None => "home",
        };
        ImportResponse {
            imported: vec![thing(identity.get("id").clone(), region)],
            diagnostics: Diagnostics::new(),
        }
    }
    async fn create(&self, _ctx: &Context, req: ApplyRequest) -> ApplyResponse {
        let mut state = req.planned_state;
        state.set("id", Value::string("t-new"));
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
    /// Reads the object as it is; one whose id is `t-moved` is now in another region.
    async fn read(&self, _ctx: &Context, req: ReadRequest) -> ReadResponse {
        let mut state = req.current_state;
        if state.get("id").as_str() == Some("t-moved") {
            state.set("region", Value::string("elsewhere"));
        }
        ReadResponse {
            new_state: state,
            ..Default::default()
        }
    }
}

#[async_trait]
impl ListResource for Things {
    fn schema(&self) -> Schema {
        let prefix = Attribute::required("prefix", Type::String, "").validate(|path, v, d| {
            if v.as_str() == Some("") {
                d.attr_error(path.clone(), "Empty prefix", "prefix must not be empty");
            }
        });
        Schema {
            version: 0,
            block: Block::new("config").attr(prefix),
        }
    }
    async fn list(&self, _ctx: &Context, req: ListRequest, out: &mut dyn ListSink) {
        self.0.first_wanted.store(out.wanted(), Ordering::SeqCst);
        self.0.produced.store(0, Ordering::SeqCst);
        let prefix = req
            .config
            .get("prefix")
            .as_str()
            .unwrap_or_default()
            .to_string();
        for i in 0..10 {
            self.0.produced.fetch_add(1, Ordering::SeqCst);
            let id = Value::string(format!("{prefix}-{i}"));
            let result = ListResult {
                identity: thing(id.clone(), "home"),
                display_name: format!("thing {i}"),
                resource_object: Some(thing(id, "home")),
                diagnostics: Diagnostics::new(),
            };
            if !out.result(result).await {
                return;
            }
        }
        let mut warning = Diagnostics::new();
        warning.warning("Listed everything", "ten things");
        out.diagnostics(warning).await;
    }
}

fn thing_type() -> Type {
    thing_schema().block.implied_type()
}

fn identity_type() -> Type {
    Type::Object(
        [
            ("id".to_string(), Type::String),
            ("region".to_string(), Type::String),
        ]
        .into(),
    )
}

fn dv(v: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: tfplugin::codec::msgpack::encode(v, ty).unwrap(),
        json: vec![],
    })
}

fn identity_data(v: &Value) -> Option<pb::ResourceIdentityData> {
    Some(pb::ResourceIdentityData {
        identity_data: dv(v, &identity_type()),
    })
}

fn decode_identity(d: Option<pb::ResourceIdentityData>) -> Value {
    let dv = d.and_then(|d| d.identity_data).expect("an identity");
    tfplugin::codec::msgpack::decode(&dv.msgpack, &identity_type()).unwrap()
}

fn errors(d: &[pb::Diagnostic]) -> Vec<String> {
    d.iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect()
}

/// ReadResource of `state`, with `stored` as the identity Terraform holds (none when null).
async fn read_thing(c: &mut Clients, state: &Value, stored: &Value) -> pb::read_resource::Response {
    let current_identity = (!stored.is_null()).then(|| identity_data(stored)).flatten();
    let req = pb::read_resource::Request {
        type_name: "fake_thing".into(),
        current_state: dv(state, &thing_type()),
        current_identity,
        ..Default::default()
    };
    c.provider.read_resource(req).await.unwrap().into_inner()
}

/// ImportResourceState by `identity`.
async fn import_thing(c: &mut Clients, identity: &Value) -> pb::import_resource_state::Response {
    let req = pb::import_resource_state::Request {
        type_name: "fake_thing".into(),
        identity: identity_data(identity),
        ..Default::default()
    };
    c.provider
        .import_resource_state(req)
        .await
        .unwrap()
        .into_inner()
}

async fn client() -> (TestServer, Clients, Arc<Seen>) {
    let terraform = ClientCert::generate();
    let seen = Arc::new(Seen::default());
    let server = spawn_server(FakeProvider(seen.clone()), &terraform.pem).unwrap();
    let c = connect_from_line(&server.line, &terraform).await.unwrap();
    (server, c, seen)
}

#[tokio::test]
async fn identity_schemas_metadata_and_list_schemas_are_declared() {
    let (server, mut c, _) = client().await;
    let ids = c
        .provider
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .unwrap()
        .into_inner();
    let thing = &ids.identity_schemas["fake_thing"];
    assert_eq!(thing.version, 1);
    let attrs: Vec<_> = thing
        .identity_attributes
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.required_for_import,
                a.optional_for_import,
            )
        })
        .collect();
    assert_eq!(attrs, [("id", true, false), ("region", false, true)]);
    assert_eq!(thing.identity_attributes[0].r#type, b"\"string\"");

    let meta = c
        .provider
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    let listed: Vec<_> = meta
        .list_resources
        .iter()
        .map(|l| l.type_name.as_str())
        .collect();
    assert_eq!(listed, ["fake_thing"]);
    let schema = c
        .provider
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let config = schema.list_resource_schemas["fake_thing"]
        .block
        .clone()
        .unwrap();
    assert_eq!(config.attributes[0].name, "prefix");
    assert!(config.attributes[0].required);
    server.shutdown.cancel();
}

#[tokio::test]
async fn read_plan_apply_and_import_return_identities_and_refuse_a_changed_one() {
    let (server, mut c, _) = client().await;
    let ty = thing_type();
    let state = thing(Value::string("t-1"), "home");

    // A read returns the identity; one that contradicts the stored identity is an error.
    let read = read_thing(&mut c, &state, &state).await;
    assert!(
        errors(&read.diagnostics).is_empty(),
        "{:?}",
        read.diagnostics
    );
    assert_eq!(decode_identity(read.new_identity), state);
    // A state written before identities existed has none stored: the read fills it in.
    let moved = thing(Value::string("t-moved"), "home");
    let first = read_thing(&mut c, &moved, &Value::Null).await;
    assert!(errors(&first.diagnostics).is_empty());
    let changed = read_thing(&mut c, &moved, &moved).await;
    let e = errors(&changed.diagnostics);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("Resource identity changed"), "{e:?}");
    assert!(
        e[0].contains(r#"region is "elsewhere" now, "home" in the state"#),
        "{e:?}"
    );

    // Plan: a create's identity is not known before apply, so none is sent.
    let planned = thing(Value::Unknown, "home");
    let plan = c
        .provider
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "fake_thing".into(),
            prior_state: dv(&Value::Null, &ty),
            proposed_new_state: dv(&planned, &ty),
            config: dv(&planned, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        errors(&plan.diagnostics).is_empty(),
        "{:?}",
        plan.diagnostics
    );
    assert!(plan.planned_identity.is_none());
    let apply = c
        .provider
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: "fake_thing".into(),
            prior_state: dv(&Value::Null, &ty),
            planned_state: dv(&planned, &ty),
            config: dv(&planned, &ty),
            planned_identity: plan.planned_identity,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        errors(&apply.diagnostics).is_empty(),
        "{:?}",
        apply.diagnostics
    );
    assert_eq!(
        decode_identity(apply.new_identity),
        thing(Value::string("t-new"), "home")
    );
    // An update planned against a prior identity it contradicts is an error.
    let elsewhere = thing(Value::string("t-1"), "elsewhere");
    let update = c
        .provider
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "fake_thing".into(),
            prior_state: dv(&state, &ty),
            proposed_new_state: dv(&state, &ty),
            config: dv(&state, &ty),
            prior_identity: identity_data(&elsewhere),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        errors(&update.diagnostics).len(),
        1,
        "{:?}",
        update.diagnostics
    );

    // Import by identity: the identity goes to import_by_identity, and comes back with the state.
    let mut given = thing(Value::string("t-9"), "away");
    let import = import_thing(&mut c, &given).await;
    assert!(
        errors(&import.diagnostics).is_empty(),
        "{:?}",
        import.diagnostics
    );
    let imported = &import.imported_resources[0];
    assert_eq!(decode_identity(imported.identity.clone()), given);
    // An optional attribute left out is filled in by the provider, not held against it.
    given.set("region", Value::Null);
    let partial = import_thing(&mut c, &given).await;
    assert!(errors(&partial.diagnostics).is_empty());
    let filled = decode_identity(partial.imported_resources[0].identity.clone());
    assert_eq!(filled.get("region").as_str(), Some("home"));
    // What was imported contradicts the identity asked for: an error, nothing imported.
    given.set("region", Value::string("elsewhere"));
    let wrong = import_thing(&mut c, &given).await;
    let e = errors(&wrong.diagnostics);
    assert!(e[0].contains("in the import block"), "{e:?}");
    assert!(wrong.imported_resources.is_empty());

    // A stored identity of an older version is read against the current one.
    let upgraded = c
        .provider
        .upgrade_resource_identity(pb::upgrade_resource_identity::Request {
            type_name: "fake_thing".into(),
            version: 0,
            raw_identity: Some(pb::RawState {
                json: br#"{"id":"t-1","region":"home"}"#.to_vec(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decode_identity(upgraded.upgraded_identity), state);
    server.shutdown.cancel();
}

/// Every event of one ListResource call.
async fn list(
    c: &mut Clients,
    prefix: &str,
    limit: i64,
    include: bool,
) -> Vec<pb::list_resource::Event> {
    let mut config = Value::Null;
    config.set("prefix", Value::string(prefix));
    let ty = Type::Object([("prefix".to_string(), Type::String)].into());
    let mut stream = c
        .provider
        .list_resource(pb::list_resource::Request {
            type_name: "fake_thing".into(),
            config: dv(&config, &ty),
            include_resource_object: include,
            limit,
        })
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    while let Some(e) = stream.message().await.unwrap() {
        events.push(e);
    }
    events
}

#[tokio::test]
async fn a_listing_streams_identities_and_stops_at_the_limit() {
    let (server, mut c, seen) = client().await;
    let events = list(&mut c, "a", 3, false).await;
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].display_name, "thing 0");
    assert_eq!(
        decode_identity(events[2].identity.clone()),
        thing(Value::string("a-2"), "home")
    );
    assert!(events.iter().all(|e| e.resource_object.is_none()));
    // The listing was told how many Terraform takes and stopped producing there.
    assert_eq!(seen.first_wanted.load(Ordering::SeqCst), 3);
    assert_eq!(seen.produced.load(Ordering::SeqCst), 3);

    // Everything, with the objects: ten results and the closing warning.
    let events = list(&mut c, "b", 100, true).await;
    assert_eq!(events.len(), 11);
    let object = events[4].resource_object.clone().expect("object asked for");
    let object = tfplugin::codec::msgpack::decode(&object.msgpack, &thing_type()).unwrap();
    assert_eq!(object.get("id").as_str(), Some("b-4"));
    assert!(events[10].identity.is_none());
    assert_eq!(events[10].diagnostic[0].summary, "Listed everything");

    // A limit of zero lists nothing at all.
    seen.produced.store(99, Ordering::SeqCst);
    assert!(list(&mut c, "c", 0, false).await.is_empty());
    assert_eq!(seen.produced.load(Ordering::SeqCst), 99);

    // Bad arguments: one error event naming the attribute, and no listing.
    let events = list(&mut c, "", 10, false).await;
    assert_eq!(events.len(), 1);
    let e = &events[0].diagnostic[0];
    assert_eq!(e.summary, "Empty prefix");
    assert!(e.attribute.is_some());
    assert_eq!(seen.produced.load(Ordering::SeqCst), 99);
    let validated = c
        .provider
        .validate_list_resource_config(pb::validate_list_resource_config::Request {
            type_name: "fake_thing".into(),
            config: dv(
                &{
                    let mut v = Value::Null;
                    v.set("prefix", Value::string(""));
                    v
                },
                &Type::Object([("prefix".to_string(), Type::String)].into()),
            ),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(errors(&validated.diagnostics).len(), 1);
    server.shutdown.cancel();
}
