//! Who is making a change. Every recorded step carries its principal.
//!
//! Today the principal is taken from the `x-treaty-actor` request metadata
//! (grpcurl: `-H 'x-treaty-actor: lt-mfa-treaty-section'`). This function is the
//! one seam where authentication (bearer tokens over TLS, mTLS between
//! services, DESIGN.md §6) plugs in: callers never read the header themselves.

use tonic::metadata::MetadataMap;

/// The metadata key naming the principal.
pub const ACTOR_HEADER: &str = "x-treaty-actor";

/// The principal recorded when a request names none.
pub const ANONYMOUS: &str = "anonymous";

/// The principal making a request: the `x-treaty-actor` metadata value, trimmed,
/// or [`ANONYMOUS`] when absent, empty, not ASCII or longer than 128 bytes.
pub fn actor(metadata: &MetadataMap) -> String {
    metadata
        .get(ACTOR_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .unwrap_or(ANONYMOUS)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_actor_comes_from_the_metadata_or_is_anonymous() {
        let mut md = MetadataMap::new();
        assert_eq!(actor(&md), ANONYMOUS);
        md.insert(ACTOR_HEADER, " lt-mfa ".parse().expect("ascii"));
        assert_eq!(actor(&md), "lt-mfa");
        md.insert(ACTOR_HEADER, "".parse().expect("ascii"));
        assert_eq!(actor(&md), ANONYMOUS);
    }
}
