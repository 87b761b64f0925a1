//! The acceptance-test harness: runs the real Terraform CLI against our provider binary and the
//! EC2 emulators started by `make test` / `scripts/with-emulator.sh`: the one with the fidelity
//! layer (AMICOPY_EMULATOR_URL) and stock moto (AMICOPY_STOCK_EMULATOR_URL, see `Lane`).
//!
//! Each test gets its own working directory and its own static access key id; the emulator keeps
//! a call log and test controls per access key, so tests run in parallel without sharing state.
// Each area uses part of the harness, and every name of the old single-file harness stays
// exported so test files written against it compile unchanged.
#![allow(dead_code, unused_imports)]

/// Runs each scenario function (`fn(Lane)`) as two `#[test]`s, `fidelity::NAME` against the
/// emulator with its fidelity layer and `stock::NAME` against stock moto, so one scenario serves
/// both backends instead of two copies drifting apart.
#[allow(unused_macros)] // unused where a stray file loads the harness through the shim
macro_rules! both_lanes {
    ($($scenario:ident),* $(,)?) => {
        mod fidelity {
            $(#[test]
            fn $scenario() {
                super::$scenario($crate::support::Lane::Fidelity)
            })*
        }
        mod stock {
            $(#[test]
            fn $scenario() {
                super::$scenario($crate::support::Lane::Stock)
            })*
        }
    };
}

mod cli_version;
mod config;
mod ec2;
mod emulator;
pub mod go_state;
mod paths;
mod skip;
mod state;
mod terraform;

pub use cli_version::{cli_has, terraform_version, Version};
pub use config::ami_copy;
pub use ec2::rt;
pub use emulator::{call_param, call_param_list, call_params, emulator_url, is_ec2_call, Lane};
pub use paths::{provider_binary, provider_dir, repo_root, terraform_bin};
pub use skip::{has_tool, skip, tools_present};
pub use state::{ami_id, map, state_map, state_snapshot_ids};
pub use terraform::{Diag, Run, Spawned, Tf};
