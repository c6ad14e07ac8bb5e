//! The real treaty data the product ships (copied from the research into
//! `crates/bundle/data/`, sources in `data/SOURCES.md`), parsed into facts and
//! loaded into a running suite through its public gRPC API, as any client
//! would.
//!
//! Four CSV shapes are understood, by their header line:
//! - parties (`iso2,iso3,name,signed,consent_to_be_bound,consent_kind,source`),
//!   one file per treaty;
//! - signatories (`treaty,iso2,iso3,name,signed,source`);
//! - withdrawal steps (`treaty,iso2,step,date,detail,source`).
//!
//! Parsing checks every row and reports every bad row with its file and line;
//! a file with one bad row yields no facts at all.
//!
//! `treaty serve` loads the bundle once per data directory ([`load_bundle_once`]),
//! `treaty import` loads files ([`parse_file`], [`Loader`]), and the demo and
//! the benchmark read the parties back ([`parties_as_of`]).

#![forbid(unsafe_code)]

mod credentials;
mod facts;
mod load;
mod once;
mod parse;
pub mod procedures;
mod read;

pub use credentials::{Actor, Credentials, Minted, OneToken};
pub use facts::{
    CCM_PARTIES, ConsentFact, DEPOSITARY, Facts, OTTAWA_PARTIES, SIGNATORIES, StepFact, StepKind,
    TREATIES, TreatyFact, WITHDRAWAL_STEPS,
};
pub use load::{LOADER_SUBJECT, LoadError, Loader, Progress, Quiet, loader_permissions, step_name};
pub use once::{BUNDLE_MARKER, load_bundle_once};
pub use parse::{RowError, Shape, parse_file};
pub use read::{all_pages, parties_as_of};
