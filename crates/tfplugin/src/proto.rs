//! Generated protocol types and gRPC stubs (see `proto/`). Public so that tests can play
//! Terraform's part with the generated clients.
#![allow(clippy::all, missing_docs)]

pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's own services (`plugin.GRPCController`).
pub mod plugin {
    tonic::include_proto!("plugin");
}

pub mod health {
    tonic::include_proto!("grpc.health.v1");
}
