//! The API contract of the suite: code generated from `proto/` at build time
//! (protox + tonic-prost-build, no `protoc`), and the encoded file descriptor
//! set that the servers publish through gRPC reflection; and what every service
//! shares at its wire edge, written once:
//!
//! - [`fields`]: the field validators and their limits (ids, text, sources,
//!   request ids, page sizes, dates), beside [`Violations`];
//! - [`page`]: the one page-token format;
//! - [`status`]: the one way an error status is built (`ErrorInfo` on every
//!   error, bounded messages);
//! - [`wire`]: civil dates and instants.
//!
//! *API boundary*: only `services/*`, the runtime and the binary use this
//! crate; `treaty-domain` and `treaty-ledger` never do.

#![allow(missing_docs, unreachable_pub, clippy::large_enum_variant)]

pub mod fields;
pub mod page;
pub mod status;
mod violations;
pub mod wire;

pub use violations::{Violation, Violations};

/// The encoded `FileDescriptorSet` of every `.proto` under `proto/`, including
/// `google/type/date.proto` and the well-known types they import.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/treaty_descriptor.bin"));

/// Vendored Google types.
pub mod google {
    /// `google.type`: civil dates.
    pub mod r#type {
        include!(concat!(env!("OUT_DIR"), "/google.r#type.rs"));
    }
}

/// `treaty.*.v1`: the four services.
pub mod treaty {
    /// The signatory registry.
    pub mod registry {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/treaty.registry.v1.rs"));
        }
    }
    /// The parliamentary-approval workflow.
    pub mod approvals {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/treaty.approvals.v1.rs"));
        }
    }
    /// The notices to the other parties.
    pub mod notification {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/treaty.notification.v1.rs"));
        }
    }
    /// The global audit log.
    pub mod audit {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/treaty.audit.v1.rs"));
        }
    }
}

pub use treaty::{
    approvals::v1 as approvals, audit::v1 as audit, notification::v1 as notification,
    registry::v1 as registry,
};

/// The fully qualified names of the four services, for health and reflection.
pub const SERVICE_NAMES: [&str; 4] = [
    "treaty.registry.v1.RegistryService",
    "treaty.approvals.v1.ApprovalsService",
    "treaty.notification.v1.NotificationService",
    "treaty.audit.v1.AuditService",
];
