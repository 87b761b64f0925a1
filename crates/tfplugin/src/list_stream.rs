//! The protocol side of a listing: a [`ListSink`] that turns each result into a ListResource
//! event on the gRPC stream (see `crate::list_resource` for the provider's side).

use crate::convert::{self, encode_dynamic};
use crate::diag::Diagnostics;
use crate::list_resource::{ListResult, ListSink};
use crate::proto::tfplugin6 as pb;
use crate::value::Type;
use tokio::sync::mpsc;
use tonic::Status;

/// Streams a listing's results to Terraform as ListResource events, encoded with the listed
/// resource type's identity and schema, until Terraform has its `limit`, stops reading, or an
/// error is sent.
pub(crate) struct StreamSink {
    tx: mpsc::Sender<Result<pb::list_resource::Event, Status>>,
    /// Results still taken; 0 once the listing has ended.
    wanted: u64,
    identity_ty: Type,
    resource_ty: Type,
    include_resource_object: bool,
}

impl StreamSink {
    /// A sink for a listing of at most `limit` results; [`StreamSink::encode_with`] gives it the
    /// types before the first result.
    pub(crate) fn new(
        tx: mpsc::Sender<Result<pb::list_resource::Event, Status>>,
        limit: u64,
        include_resource_object: bool,
    ) -> Self {
        StreamSink {
            tx,
            wanted: limit,
            identity_ty: Type::Dynamic,
            resource_ty: Type::Dynamic,
            include_resource_object,
        }
    }

    /// The listed resource type's identity type and schema type.
    pub(crate) fn encode_with(&mut self, identity_ty: &Type, resource_ty: &Type) {
        self.identity_ty = identity_ty.clone();
        self.resource_ty = resource_ty.clone();
    }

    /// Sends `event`; whether to go on (Terraform reads on, wants more, and saw no error).
    async fn send(&mut self, event: pb::list_resource::Event, diags: &Diagnostics) -> bool {
        let is_result = event.identity.is_some();
        if self.tx.send(Ok(event)).await.is_err() || diags.has_errors() {
            self.wanted = 0;
        } else if is_result {
            self.wanted = self.wanted.saturating_sub(1);
        }
        self.wanted > 0
    }
}

#[tonic::async_trait]
impl ListSink for StreamSink {
    async fn result(&mut self, result: ListResult) -> bool {
        if self.wanted == 0 {
            return false;
        }
        let mut diags = result.diagnostics;
        let identity = encode_dynamic(&result.identity, &self.identity_ty, "resource identity");
        let object = match (&result.resource_object, self.include_resource_object) {
            (Some(o), true) => encode_dynamic(o, &self.resource_ty, "resource object").map(Some),
            _ => Ok(None),
        };
        let event = match (identity, object) {
            (Ok(identity), Ok(resource_object)) => pb::list_resource::Event {
                identity: Some(pb::ResourceIdentityData {
                    identity_data: Some(identity),
                }),
                display_name: result.display_name,
                resource_object,
                diagnostic: convert::diagnostics(&diags),
            },
            (Err(e), _) | (_, Err(e)) => {
                diags.extend(e);
                pb::list_resource::Event {
                    diagnostic: convert::diagnostics(&diags),
                    ..Default::default()
                }
            }
        };
        self.send(event, &diags).await
    }

    async fn diagnostics(&mut self, diagnostics: Diagnostics) -> bool {
        let event = pb::list_resource::Event {
            diagnostic: convert::diagnostics(&diagnostics),
            ..Default::default()
        };
        self.send(event, &diagnostics).await
    }

    fn wanted(&self) -> u64 {
        self.wanted
    }
}
