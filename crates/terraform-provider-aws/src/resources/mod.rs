//! Managed resource types.

pub mod ami_copy;

use crate::provider::clients::ProviderState;
use std::sync::Arc;

/// Every resource type this provider serves, by full type name.
pub fn all(state: Arc<ProviderState>) -> Vec<(String, Arc<dyn tfplugin::Resource>)> {
    vec![(
        "aws_ami_copy".to_string(),
        Arc::new(ami_copy::AmiCopy::new(state)),
    )]
}

/// Every list resource (`terraform query`) this provider serves, by the resource type it lists.
pub fn lists(state: Arc<ProviderState>) -> Vec<(String, Arc<dyn tfplugin::ListResource>)> {
    vec![(
        "aws_ami_copy".to_string(),
        Arc::new(ami_copy::AmiCopyList::new(state)),
    )]
}
