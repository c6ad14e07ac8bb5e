//! The one page-token format (AIP-158): opaque to clients, bound to the listing and the
//! filters it was issued for, and refused precisely when it is not one this suite issued.
//!
//! A token is the URL-safe base64 (no padding) of
//!
//! ```text
//! [format: u8 = 1][listing name length: u8][listing name][filters digest: 8 bytes][position][check: 8 bytes]
//! ```
//!
//! where the filters digest is the first 8 bytes of SHA-256 over the request's filters (so a
//! token used with other filters is refused, not misread), the position is where the listing
//! continues (the listing's own key bytes), and the check is the first 8 bytes of SHA-256 over
//! everything before it (so a token edited by hand is refused). Tokens are not secrets: every
//! listing is a public read, and a position only says where to resume.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use treaty_domain::{CaseId, StateCode, TreatyId};

use crate::fields;
use crate::violations::Violations;

const FORMAT: u8 = 1;
const NOT_ISSUED: &str = "not a page token this service issued; pass the next_page_token of the previous page unchanged, or leave it empty for the first page";
/// The longest token accepted, in characters.
pub const MAX_TOKEN: usize = 1024;

/// One listing and the filters of one request of it: what a token is bound to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listing {
    name: &'static str,
    digest: [u8; 8],
}

/// A page of a listing read from a request: how many, after which key, and the listing its
/// tokens belong to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paged<K> {
    /// At most this many items.
    pub size: usize,
    /// Continue after this key; `None` for the first page.
    pub after: Option<K>,
    /// The listing the next token is issued for.
    pub listing: Listing,
}

impl<K: Position> Paged<K> {
    /// The token of the page after one that ended at `last`, when `more` follow; empty
    /// otherwise.
    pub fn next_token(&self, more: bool, last: Option<&K>) -> String {
        self.listing
            .next_token(more, last.map(Position::to_bytes).as_deref())
    }
}

/// A key a listing resumes after, as the bytes a token carries.
pub trait Position: Sized {
    /// The key's bytes.
    fn to_bytes(&self) -> Vec<u8>;
    /// The key of `bytes`, or `None` when they are not one (the token was not issued here).
    fn from_bytes(bytes: &[u8]) -> Option<Self>;
}

/// A sequence or cursor: 8 big-endian bytes.
impl Position for u64 {
    fn to_bytes(&self) -> Vec<u8> {
        self.to_be_bytes().to_vec()
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        Some(u64::from_be_bytes(bytes.try_into().ok()?))
    }
}

/// A small id within its parent (an armed conflict's): 4 big-endian bytes.
impl Position for u32 {
    fn to_bytes(&self) -> Vec<u8> {
        self.to_be_bytes().to_vec()
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        Some(u32::from_be_bytes(bytes.try_into().ok()?))
    }
}

impl Position for StateCode {
    fn to_bytes(&self) -> Vec<u8> {
        self.as_str().as_bytes().to_vec()
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        StateCode::parse(std::str::from_utf8(bytes).ok()?).ok()
    }
}

impl Position for TreatyId {
    fn to_bytes(&self) -> Vec<u8> {
        self.as_str().as_bytes().to_vec()
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        TreatyId::parse(std::str::from_utf8(bytes).ok()?).ok()
    }
}

impl Position for CaseId {
    fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        CaseId::parse(std::str::from_utf8(bytes).ok()?).ok()
    }
}

/// A page request read from `page_size` and `page_token`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// At most this many items.
    pub size: usize,
    /// Continue after this position (the listing's key bytes); `None` for the first page.
    pub after: Option<Vec<u8>>,
}

impl Listing {
    /// The listing `name` (e.g. `ListMembers`) of a request with `filters`, given in a fixed
    /// order, with empty strings for unset ones.
    pub fn new(name: &'static str, filters: &[&str]) -> Listing {
        let mut h = Sha256::new();
        for f in filters {
            h.update((f.len() as u64).to_be_bytes());
            h.update(f.as_bytes());
        }
        Listing {
            name,
            digest: first8(&h.finalize()),
        }
    }

    /// The token that continues this listing after `position`.
    pub fn token(&self, position: &[u8]) -> String {
        let name = self.name.as_bytes();
        let mut bytes = Vec::with_capacity(2 + name.len() + 16 + position.len());
        bytes.push(FORMAT);
        bytes.push(u8::try_from(name.len()).expect("listing names are short"));
        bytes.extend_from_slice(name);
        bytes.extend_from_slice(&self.digest);
        bytes.extend_from_slice(position);
        let check = first8(&Sha256::digest(&bytes));
        bytes.extend_from_slice(&check);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The token for the next page, or an empty string when there is none.
    pub fn next_token(&self, more: bool, last: Option<&[u8]>) -> String {
        match last {
            Some(position) if more => self.token(position),
            _ => String::new(),
        }
    }

    /// Reads `page_size` and `page_token` of a request of this listing.
    pub fn page(&self, v: &mut Violations, size: i32, token: &str) -> Page {
        let size = fields::page_size(v, size);
        let after = match token {
            "" => None,
            token => match self.position(token) {
                Ok(position) => Some(position),
                Err(description) => {
                    v.add("page_token", description);
                    None
                }
            },
        };
        Page { size, after }
    }

    /// Reads `page_size` and `page_token` of a request of this listing, with the position read
    /// back as a key (a position that is not one is refused as not issued here).
    pub fn paged<K: Position>(&self, v: &mut Violations, size: i32, token: &str) -> Paged<K> {
        let page = self.page(v, size, token);
        let after = page.after.and_then(|bytes| {
            let key = K::from_bytes(&bytes);
            if key.is_none() {
                v.add("page_token", NOT_ISSUED);
            }
            key
        });
        Paged {
            size: page.size,
            after,
            listing: *self,
        }
    }

    fn position(&self, token: &str) -> Result<Vec<u8>, &'static str> {
        const FORGED: &str = NOT_ISSUED;
        const OTHER: &str = "this page token was issued for another listing or other filters; repeat the filters of the request it came from, or leave it empty for the first page";
        if token.len() > MAX_TOKEN {
            return Err(FORGED);
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| FORGED)?;
        let (body, check) = bytes
            .split_at_checked(bytes.len().wrapping_sub(8))
            .ok_or(FORGED)?;
        if body.len() < 2 || first8(&Sha256::digest(body)) != check || body[0] != FORMAT {
            return Err(FORGED);
        }
        let name_len = usize::from(body[1]);
        let rest = &body[2..];
        let (name, rest) = rest.split_at_checked(name_len).ok_or(FORGED)?;
        let (digest, position) = rest.split_at_checked(8).ok_or(FORGED)?;
        if name != self.name.as_bytes() || digest != self.digest {
            return Err(OTHER);
        }
        Ok(position.to_vec())
    }
}

fn first8(digest: &[u8]) -> [u8; 8] {
    digest[..8]
        .try_into()
        .expect("a SHA-256 digest has 32 bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members() -> Listing {
        Listing::new("ListMembers", &["apmbc", "2025-06-27"])
    }

    fn read(listing: &Listing, token: &str) -> Result<Page, Violations> {
        let mut v = Violations::new();
        let page = listing.page(&mut v, 0, token);
        v.into_result(page)
    }

    #[test]
    fn a_token_resumes_its_listing_where_it_left_off() {
        let token = members().token(b"LT");
        assert!(!token.contains("LT"), "opaque: {token}");
        let page = read(&members(), &token).unwrap();
        assert_eq!(page.after.as_deref(), Some(&b"LT"[..]));
        assert_eq!(page.size, fields::DEFAULT_PAGE_SIZE);
        assert_eq!(read(&members(), "").unwrap().after, None);
        assert_eq!(members().next_token(false, Some(b"LT")), "");
    }

    #[test]
    fn a_token_edited_by_hand_or_made_up_is_refused_as_not_issued() {
        let token = members().token(b"LT");
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        let n = bytes.len();
        bytes[n - 9] ^= 1; // the last byte of the position
        let edited = URL_SAFE_NO_PAD.encode(&bytes);
        for forged in [
            edited.as_str(),
            "after-LT",
            "c-12",
            "%%%",
            "AAAA",
            &"A".repeat(2000),
        ] {
            let err = read(&members(), forged).unwrap_err();
            let v = err.iter().next().unwrap();
            assert_eq!(v.field, "page_token");
            assert!(
                v.description.contains("not a page token"),
                "{forged}: {}",
                v.description
            );
        }
    }

    #[test]
    fn a_token_used_with_other_filters_or_another_listing_is_refused_as_such() {
        let token = members().token(b"LT");
        let other_filters = Listing::new("ListMembers", &["ccm", "2025-06-27"]);
        let other_listing = Listing::new("ListTreaties", &["apmbc", "2025-06-27"]);
        for listing in [other_filters, other_listing] {
            let err = read(&listing, &token).unwrap_err();
            let v = err.iter().next().unwrap();
            assert!(v.description.contains("other filters"), "{}", v.description);
        }
    }
}
