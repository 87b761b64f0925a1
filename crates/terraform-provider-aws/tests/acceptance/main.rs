//! The acceptance tests: the real Terraform CLI drives the provider binary against the EC2
//! emulator. One test binary, one module per area, so the harness and the AWS SDK are compiled
//! and linked once.

#[macro_use]
mod support;

mod adopt;
mod basic;
mod cross_region;
mod data_ami;
mod destroy;
mod dev_smoke;
mod disabled;
mod docs_drift;
mod efficiency;
mod finish_failures;
mod go_compat;
mod import;
mod import_identity;
mod interrupt_calls;
mod lifecycle;
mod log_secrets;
mod modules;
mod move_state;
mod options;
mod plan_checks;
mod plugin_handshake;
mod provider_block;
mod query;
mod real_aws;
mod refresh_grace;
mod release_mirror;
mod resilience;
mod side_by_side;
mod soak;
mod state_compat;
mod tags;
mod tflocal;
mod update;
mod validation;
