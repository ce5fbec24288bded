//! Secrets Manager, driven through the `Service` trait as the protocol layer drives it.

mod access;
mod at_rest;
mod common;
mod deletion;
mod kms;
mod lifecycle;
mod listing;
mod password;
mod policy;
mod rotation;
mod stages;
