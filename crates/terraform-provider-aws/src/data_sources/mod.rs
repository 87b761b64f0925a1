//! Data source types.

pub mod ami;

use crate::provider::clients::ProviderState;
use std::sync::Arc;

/// Every data source type this provider serves, by full type name.
pub fn all(state: Arc<ProviderState>) -> Vec<(String, Arc<dyn tfplugin::DataSource>)> {
    vec![(
        "aws_ami".to_string(),
        Arc::new(ami::AmiDataSource::new(state)),
    )]
}
