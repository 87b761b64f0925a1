//! EC2 helpers shared by resources: error codes, waiters.
