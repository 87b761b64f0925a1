//! Data sources and MoveResourceState over the wire, with the in-process client playing
//! Terraform's part.

use async_trait::async_trait;
use std::sync::Arc;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::testing::{connect_from_line, spawn_server, ClientCert};
use tfplugin::*;

struct FakeProvider;
struct Lookup;
/// Accepts moves from `other_thing` of `example.com/other/fake`, version 0 only.
struct Movable;
/// Keeps the default move_state.
struct Fixed;

#[async_trait]
impl Provider for FakeProvider {
    fn schema(&self) -> Schema {
        Schema::default()
    }
    fn resources(&self) -> Vec<(String, Arc<dyn Resource>)> {
        vec![
            ("fake_movable".to_string(), Arc::new(Movable)),
            ("fake_fixed".to_string(), Arc::new(Fixed)),
        ]
    }
    fn data_sources(&self) -> Vec<(String, Arc<dyn DataSource>)> {
        vec![("fake_lookup".to_string(), Arc::new(Lookup))]
    }
    async fn configure(&self, _ctx: &Context, _req: ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }
}

fn lookup_schema() -> Schema {
    Schema {
        version: 0,
        block: Block::new("lookup")
            .attr(Attribute::required("query", Type::String, ""))
            .attr(Attribute::optional_computed("id", Type::String, ""))
            .attr(Attribute::computed("answer", Type::String, "")),
    }
}

#[async_trait]
impl DataSource for Lookup {
    fn schema(&self) -> Schema {
        lookup_schema()
    }
    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        if config.get("query").as_str() == Some("") {
            d.attr_error(
                AttributePath::root("query"),
                "Empty query",
                "must not be empty",
            );
        }
        d
    }
    async fn read(&self, _ctx: &Context, req: ReadDataRequest) -> ReadDataResponse {
        assert!(!req.config.contains_unknown(), "read saw unknown values");
        let q = req
            .config
            .get("query")
            .as_str()
            .unwrap_or_default()
            .to_string();
        if q == "missing" {
            let mut diagnostics = Diagnostics::new();
            diagnostics.error("Nothing found", "");
            return ReadDataResponse {
                state: Value::Unknown,
                diagnostics,
            };
        }
        let mut state = req.config.clone();
        state.set("id", Value::string(format!("id-{q}")));
        state.set("answer", Value::string(q.to_uppercase()));
        ReadDataResponse {
            state,
            ..Default::default()
        }
    }
}

fn thing_schema() -> Schema {
    Schema {
        version: 0,
        block: Block::new("thing")
            .attr(Attribute::computed("id", Type::String, ""))
            .attr(Attribute::optional("name", Type::String, "")),
    }
}

/// A fake resource with the `thing` schema and operations that do nothing; `$extra` adds or
/// overrides trait methods.
macro_rules! fake_resource {
    ($name:ty { $($extra:tt)* }) => {
        #[async_trait]
        impl Resource for $name {
            fn schema(&self) -> Schema {
                thing_schema()
            }
            async fn plan(&self, _ctx: &Context, _req: PlanRequest) -> PlanResponse {
                PlanResponse::default()
            }
            async fn create(&self, _ctx: &Context, _req: ApplyRequest) -> ApplyResponse {
                ApplyResponse::default()
            }
            async fn update(&self, _ctx: &Context, _req: ApplyRequest) -> ApplyResponse {
                ApplyResponse::default()
            }
            async fn delete(&self, _ctx: &Context, _req: ApplyRequest) -> ApplyResponse {
                ApplyResponse::default()
            }
            async fn read(&self, _ctx: &Context, _req: ReadRequest) -> ReadResponse {
                ReadResponse::default()
            }
            $($extra)*
        }
    };
}

fake_resource!(Movable {
    async fn move_state(&self, _ctx: &Context, req: MoveStateRequest) -> MoveStateResponse {
        if req.source_provider_address != "example.com/other/fake"
            || req.source_type_name != "other_thing"
            || req.source_schema_version != 0
        {
            let mut diagnostics = Diagnostics::new();
            diagnostics.error("Unsupported move", "");
            return MoveStateResponse {
                diagnostics,
                ..Default::default()
            };
        }
        match self.upgrade_state(0, &req.source_state_json).await {
            Ok(target_state) => MoveStateResponse {
                target_state,
                target_private: req.source_private,
                ..Default::default()
            },
            Err(diagnostics) => MoveStateResponse {
                diagnostics,
                ..Default::default()
            },
        }
    }
});

// `Fixed` keeps the trait's own `move_state`: the default refusal.
fake_resource!(Fixed {});

fn dv(v: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: tfplugin::codec::msgpack::encode(v, ty).unwrap(),
        json: vec![],
    })
}

fn query(q: Value) -> Value {
    let mut config = Value::Null;
    config.set("query", q);
    config.set("id", Value::Null);
    config.set("answer", Value::Null);
    config
}

async fn client() -> (tfplugin::testing::TestServer, tfplugin::testing::Clients) {
    let terraform = ClientCert::generate();
    let server = spawn_server(FakeProvider, &terraform.pem).unwrap();
    let c = connect_from_line(&server.line, &terraform).await.unwrap();
    (server, c)
}

#[tokio::test]
async fn data_sources_are_listed_with_their_schemas() {
    let (server, mut c) = client().await;
    let schema = c
        .provider
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let lookup = schema.data_source_schemas["fake_lookup"]
        .block
        .clone()
        .unwrap();
    let names: Vec<_> = lookup.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["query", "id", "answer"]);
    assert!(schema.server_capabilities.unwrap().move_resource_state);
    let meta = c
        .provider
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(meta.data_sources.len(), 1);
    assert_eq!(meta.data_sources[0].type_name, "fake_lookup");
    server.shutdown.cancel();
}

#[tokio::test]
async fn data_source_validate_and_read() {
    let (server, mut c) = client().await;
    let ty = lookup_schema().block.implied_type();

    let v = c
        .provider
        .validate_data_resource_config(pb::validate_data_resource_config::Request {
            type_name: "fake_lookup".into(),
            config: dv(&query(Value::string("")), &ty),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.diagnostics.len(), 1);
    assert_eq!(v.diagnostics[0].summary, "Empty query");
    assert!(v.diagnostics[0].attribute.is_some());
    // Validation may see unknown values; this one has nothing to say about them.
    let v = c
        .provider
        .validate_data_resource_config(pb::validate_data_resource_config::Request {
            type_name: "fake_lookup".into(),
            config: dv(&query(Value::Unknown), &ty),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(v.diagnostics.is_empty(), "{:?}", v.diagnostics);

    let r = c
        .provider
        .read_data_source(pb::read_data_source::Request {
            type_name: "fake_lookup".into(),
            config: dv(&query(Value::string("abc")), &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert!(r.deferred.is_none());
    let state = tfplugin::codec::msgpack::decode(&r.state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(state.get("answer").as_str(), Some("ABC"));
    assert_eq!(state.get("id").as_str(), Some("id-abc"));
    assert_eq!(state.get("query").as_str(), Some("abc"));

    // A failed read answers its diagnostics and no state (whatever the read left in it).
    let r = c
        .provider
        .read_data_source(pb::read_data_source::Request {
            type_name: "fake_lookup".into(),
            config: dv(&query(Value::string("missing")), &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.diagnostics.len(), 1);
    assert_eq!(r.diagnostics[0].summary, "Nothing found");
    assert!(r.state.is_none());

    // An unknown type is a diagnostic.
    let r = c
        .provider
        .read_data_source(pb::read_data_source::Request {
            type_name: "fake_nope".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.diagnostics[0].summary, "Unknown data source type");
    server.shutdown.cancel();
}

#[tokio::test]
async fn unknown_configuration_never_reaches_the_read() {
    let (server, mut c) = client().await;
    let ty = lookup_schema().block.implied_type();
    // A client that cannot defer gets an error (the read itself would panic on unknowns).
    let r = c
        .provider
        .read_data_source(pb::read_data_source::Request {
            type_name: "fake_lookup".into(),
            config: dv(&query(Value::Unknown), &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.diagnostics.len(), 1);
    assert_eq!(
        r.diagnostics[0].severity,
        pb::diagnostic::Severity::Error as i32
    );
    assert!(r.diagnostics[0].summary.contains("not yet known"));

    // A client that can defer is told to, with computed attributes unknown.
    let r = c
        .provider
        .read_data_source(pb::read_data_source::Request {
            type_name: "fake_lookup".into(),
            config: dv(&query(Value::Unknown), &ty),
            client_capabilities: Some(pb::ClientCapabilities {
                deferral_allowed: true,
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert_eq!(
        r.deferred.unwrap().reason,
        pb::deferred::Reason::ResourceConfigUnknown as i32
    );
    let state = tfplugin::codec::msgpack::decode(&r.state.unwrap().msgpack, &ty).unwrap();
    assert!(state.get("answer").is_unknown());
    assert!(state.get("id").is_unknown());
    assert!(state.get("query").is_unknown());
    server.shutdown.cancel();
}

fn move_request(target: &str, provider: &str, version: i64) -> pb::move_resource_state::Request {
    pb::move_resource_state::Request {
        source_provider_address: provider.into(),
        source_type_name: "other_thing".into(),
        source_schema_version: version,
        source_state: Some(pb::RawState {
            json: br#"{"id":"x-1","name":"n","only_upstream":true}"#.to_vec(),
            ..Default::default()
        }),
        target_type_name: target.into(),
        source_private: b"p".to_vec(),
        ..Default::default()
    }
}

#[tokio::test]
async fn move_resource_state_reaches_the_resource() {
    let (server, mut c) = client().await;
    let ty = thing_schema().block.implied_type();

    let m = c
        .provider
        .move_resource_state(move_request("fake_movable", "example.com/other/fake", 0))
        .await
        .unwrap()
        .into_inner();
    assert!(m.diagnostics.is_empty(), "{:?}", m.diagnostics);
    let state = tfplugin::codec::msgpack::decode(&m.target_state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(state.get("id").as_str(), Some("x-1"));
    assert_eq!(state.get("name").as_str(), Some("n"));
    assert_eq!(m.target_private, b"p");

    // The resource's own refusal, with no state.
    let m = c
        .provider
        .move_resource_state(move_request("fake_movable", "example.com/other/fake", 1))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(m.diagnostics[0].summary, "Unsupported move");
    assert!(m.target_state.is_none());

    // The default refuses and names what was asked.
    let m = c
        .provider
        .move_resource_state(move_request("fake_fixed", "example.com/other/fake", 0))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(m.diagnostics[0].summary, "Move not supported");
    assert!(m.diagnostics[0].detail.contains("other_thing"));
    assert!(m.diagnostics[0].detail.contains("example.com/other/fake"));
    assert!(m.target_state.is_none());

    // An unknown target type is a diagnostic.
    let m = c
        .provider
        .move_resource_state(move_request("fake_nope", "example.com/other/fake", 0))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(m.diagnostics[0].summary, "Unknown resource type");
    server.shutdown.cancel();
}
