//! powerbase: customer-base strategy as code.
//!
//! A client workspace (`powerbase.yaml`, rule files, Rhai plugins, report templates and data
//! exports) flows one way through the stages, each a module:
//!
//! ```text
//! workspace -> data -> metrics -> engine -> analysis -> report
//! ```
//!
//! [`pipeline::run`] chains them; the `powerbase` binary is a thin command line over it.
#![warn(missing_docs)]

pub mod analysis;
pub mod data;
pub mod diagnostic;
pub mod engine;
pub mod error;
mod ident;
pub mod metrics;
/// The stages chained: prepare a workspace, evaluate it, render and write the outputs.
pub mod pipeline;
pub mod policytest;
pub mod provenance;
pub mod report;
pub mod workspace;

pub use error::{Error, Result};
