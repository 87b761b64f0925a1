//! Serves a tiny fake provider in-process over mTLS and drives it like Terraform would.

use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::testing::{connect_from_line, spawn_server, ClientCert};
use tfplugin::*;

struct FakeProvider;
struct Widget;

#[async_trait]
impl Provider for FakeProvider {
    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            block: Block::new("fake").attr(Attribute::optional("region", Type::String, "")),
        }
    }
    fn resources(&self) -> Vec<(String, Arc<dyn Resource>)> {
        vec![("fake_widget".to_string(), Arc::new(Widget))]
    }
    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        if config.get("region").as_str() == Some("bad") {
            d.attr_error(
                AttributePath::root("region"),
                "Bad region",
                "no such region",
            );
        }
        d
    }
    async fn configure(&self, _ctx: &Context, _req: ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }
}

#[async_trait]
impl Resource for Widget {
    fn schema(&self) -> Schema {
        Schema {
            version: 1,
            block: Block::new("widget")
                .attr(Attribute::required("name", Type::String, ""))
                .attr(Attribute::computed("id", Type::String, ""))
                .attr(Attribute::optional("tags", Type::map(Type::String), "")),
        }
    }
    async fn plan(&self, _ctx: &Context, req: PlanRequest) -> PlanResponse {
        let mut planned = req.proposed_new_state.clone();
        if !planned.is_null() && planned.get("id").is_null() {
            planned.set("id", Value::Unknown);
        }
        let requires_replace = if req.prior_state.is_null() {
            vec![]
        } else {
            vec![AttributePath::root("name")]
        };
        PlanResponse {
            planned_state: planned,
            requires_replace,
            ..Default::default()
        }
    }
    async fn create(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse {
        if req.config.get("name").as_str() == Some("wait-for-stop") {
            ctx.stop.cancelled().await;
            let mut d = Diagnostics::new();
            d.error("Stopped", "interrupted");
            return ApplyResponse {
                new_state: Value::Null,
                diagnostics: d,
                ..Default::default()
            };
        }
        let mut s = req.planned_state.clone();
        if !s.is_null() {
            s.set("id", Value::string("w-1"));
        }
        ApplyResponse {
            new_state: s,
            ..Default::default()
        }
    }
    async fn update(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse {
        self.create(ctx, req).await
    }
    async fn delete(&self, _ctx: &Context, _req: ApplyRequest) -> ApplyResponse {
        ApplyResponse::default()
    }
    async fn read(&self, _ctx: &Context, req: ReadRequest) -> ReadResponse {
        if req.current_state.get("name").as_str() == Some("panic") {
            panic!("boom");
        }
        ReadResponse {
            new_state: req.current_state,
            ..Default::default()
        }
    }
    async fn import(&self, _ctx: &Context, id: &str) -> ImportResponse {
        let mut v = Value::Null;
        v.set("id", Value::string(id));
        ImportResponse {
            imported: vec![v],
            ..Default::default()
        }
    }
}

fn dv(v: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: tfplugin::codec::msgpack::encode(v, ty).unwrap(),
        json: vec![],
    })
}

fn widget_type() -> Type {
    Widget.schema().block.implied_type()
}

#[tokio::test]
async fn pinned_client_gets_schema_and_other_client_is_refused() {
    let terraform = ClientCert::generate();
    let server = spawn_server(FakeProvider, &terraform.pem).unwrap();
    assert!(server.line.starts_with("1|6|tcp|127.0.0.1:"));

    let mut c = connect_from_line(&server.line, &terraform).await.unwrap();
    let schema = c
        .provider
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(schema.provider.is_some());
    let w = &schema.resource_schemas["fake_widget"];
    assert_eq!(w.version, 1);
    let caps = schema.server_capabilities.unwrap();
    assert!(!caps.plan_destroy && !caps.get_provider_schema_optional);

    // A different certificate never gets an answer.
    let stranger = ClientCert::generate();
    let refused = async {
        let mut c = connect_from_line(&server.line, &stranger).await?;
        c.provider
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(())
    };
    let r = tokio::time::timeout(Duration::from_secs(5), refused)
        .await
        .expect("refusal must be prompt");
    assert!(r.is_err(), "a client with another certificate was served");

    // So does a client without any certificate: client authentication is mandatory.
    let anonymous = async {
        let mut c = tfplugin::testing::connect_without_certificate(&server.line).await?;
        c.provider
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(())
    };
    let r = tokio::time::timeout(Duration::from_secs(5), anonymous)
        .await
        .expect("prompt");
    assert!(r.is_err(), "a client without a certificate was served");

    // The pinned client still works after the refusal.
    c.provider
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap();

    c.controller
        .shutdown(tfplugin::proto::plugin::Empty {})
        .await
        .unwrap();
    let done = tokio::time::timeout(Duration::from_secs(2), server.handle).await;
    assert!(
        matches!(done, Ok(Ok(Ok(())))),
        "server did not stop after Shutdown: {done:?}"
    );
}

#[tokio::test]
async fn resource_lifecycle_over_the_wire() {
    let terraform = ClientCert::generate();
    let server = spawn_server(FakeProvider, &terraform.pem).unwrap();
    let mut c = connect_from_line(&server.line, &terraform).await.unwrap();
    let ty = widget_type();
    let mut config = Value::Null;
    config.set("name", Value::string("a"));

    // Provider validation with an attribute path.
    let mut pcfg = Value::Null;
    pcfg.set("region", Value::string("bad"));
    let pty = FakeProvider.schema().block.implied_type();
    let v = c
        .provider
        .validate_provider_config(pb::validate_provider_config::Request {
            config: dv(&pcfg, &pty),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.diagnostics.len(), 1);
    assert!(v.diagnostics[0].attribute.is_some());

    // Plan a create: id becomes unknown.
    let plan = c
        .provider
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "fake_widget".into(),
            prior_state: dv(&Value::Null, &ty),
            proposed_new_state: dv(&config, &ty),
            config: dv(&config, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    let planned = plan.planned_state.unwrap();
    assert!(
        planned.msgpack.windows(3).any(|w| w == [0xd4, 0, 0]),
        "id should be unknown"
    );
    let planned_v = tfplugin::codec::msgpack::decode(&planned.msgpack, &ty).unwrap();
    assert!(planned_v.get("id").is_unknown());

    // Apply it.
    let applied = c
        .provider
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: "fake_widget".into(),
            prior_state: dv(&Value::Null, &ty),
            planned_state: Some(planned),
            config: dv(&config, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let state = tfplugin::codec::msgpack::decode(&applied.new_state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(state.get("id").as_str(), Some("w-1"));

    // Update plan reports requires_replace as an attribute path.
    let plan = c
        .provider
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "fake_widget".into(),
            prior_state: dv(&state, &ty),
            proposed_new_state: dv(&state, &ty),
            config: dv(&config, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(plan.requires_replace.len(), 1);

    // State upgrade from JSON drops attributes the schema no longer has.
    let up = c
        .provider
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "fake_widget".into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: br#"{"name":"a","id":"w-1","gone":1}"#.to_vec(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(up.diagnostics.is_empty(), "{:?}", up.diagnostics);
    let upgraded =
        tfplugin::codec::msgpack::decode(&up.upgraded_state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(upgraded.get("id").as_str(), Some("w-1"));

    // Import answers with the requested type name.
    let imp = c
        .provider
        .import_resource_state(pb::import_resource_state::Request {
            type_name: "fake_widget".into(),
            id: "w-9".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(imp.imported_resources.len(), 1);
    assert_eq!(imp.imported_resources[0].type_name, "fake_widget");

    // Unknown types and undecodable values are diagnostics, not failures.
    let bad = c
        .provider
        .read_resource(pb::read_resource::Request {
            type_name: "nope".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bad.diagnostics.len(), 1);
    let bad = c
        .provider
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "fake_widget".into(),
            config: Some(pb::DynamicValue {
                msgpack: vec![0xc1, 0x00],
                json: vec![],
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        bad.diagnostics[0].severity,
        pb::diagnostic::Severity::Error as i32
    );

    // Identity schemas and functions: empty answers.
    let ids = c
        .provider
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(ids.identity_schemas.is_empty());

    server.shutdown.cancel();
}

#[tokio::test]
async fn stop_provider_cancels_running_calls() {
    let terraform = ClientCert::generate();
    let server = spawn_server(FakeProvider, &terraform.pem).unwrap();
    let c = connect_from_line(&server.line, &terraform).await.unwrap();
    let ty = widget_type();
    let mut config = Value::Null;
    config.set("name", Value::string("wait-for-stop"));
    let mut p = c.provider.clone();
    let apply = tokio::spawn(async move {
        p.apply_resource_change(pb::apply_resource_change::Request {
            type_name: "fake_widget".into(),
            prior_state: dv(&Value::Null, &ty),
            planned_state: dv(&config, &ty),
            config: dv(&config, &ty),
            ..Default::default()
        })
        .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut p = c.provider.clone();
    tokio::time::timeout(
        Duration::from_secs(1),
        p.stop_provider(pb::stop_provider::Request {}),
    )
    .await
    .expect("StopProvider answers at once")
    .unwrap();
    let applied = tokio::time::timeout(Duration::from_secs(2), apply)
        .await
        .unwrap()
        .unwrap()
        .unwrap()
        .into_inner();
    assert_eq!(applied.diagnostics[0].summary, "Stopped");
    server.shutdown.cancel();
}

#[tokio::test]
async fn a_panicking_provider_call_becomes_a_diagnostic() {
    let terraform = ClientCert::generate();
    let server = spawn_server(FakeProvider, &terraform.pem).unwrap();
    let mut c = connect_from_line(&server.line, &terraform).await.unwrap();
    let ty = widget_type();
    let mut state = Value::Null;
    state.set("name", Value::string("panic"));
    let r = c
        .provider
        .read_resource(pb::read_resource::Request {
            type_name: "fake_widget".into(),
            current_state: dv(&state, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.diagnostics[0].summary, "Provider crashed");
    assert!(r.diagnostics[0].detail.contains("boom"));
    // The server keeps serving.
    c.provider
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap();
    server.shutdown.cancel();
}

/// The server's bound on TLS handshakes in progress (`MAX_PENDING_HANDSHAKES` in server.rs).
const PENDING_HANDSHAKE_BOUND: usize = 16;

#[tokio::test]
async fn idle_connections_neither_pile_up_nor_lock_out_terraform() {
    use tokio::io::AsyncReadExt;
    let terraform = ClientCert::generate();
    let server = spawn_server(FakeProvider, &terraform.pem).unwrap();
    let (addr, _) = tfplugin::testing::parse_handshake_line(&server.line).unwrap();

    // Connections that never send a ClientHello, many more than the bound.
    let idle_count = PENDING_HANDSHAKE_BOUND * 8;
    let mut idle = Vec::new();
    for _ in 0..idle_count {
        idle.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }

    // Terraform connects after them and is served.
    let mut c = connect_from_line(&server.line, &terraform).await.unwrap();
    c.provider
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap();

    // The server holds at most the bound of them; it closed the rest as they came, not after
    // a handshake timeout. (The read's time limit only decides "still open" for the others.)
    let reads = idle.into_iter().map(|mut s| {
        tokio::spawn(async move {
            let mut buf = [0u8; 1];
            matches!(
                tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await,
                Ok(Ok(0)) | Ok(Err(_))
            )
        })
    });
    let mut closed = 0;
    for r in reads.collect::<Vec<_>>() {
        if r.await.unwrap() {
            closed += 1;
        }
    }
    assert!(
        closed >= idle_count - PENDING_HANDSHAKE_BOUND,
        "the server still holds {} idle connections (bound {PENDING_HANDSHAKE_BOUND})",
        idle_count - closed
    );

    // Still serving.
    c.provider
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap();
    server.shutdown.cancel();
}
