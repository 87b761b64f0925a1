//! The `provider "aws"` block: schema, validation, configuration into `AwsClients`.
pub mod clients;
