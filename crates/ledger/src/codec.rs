//! Formats 1 and 2 of a stored record: a hand-rolled, deterministic, length-prefixed binary
//! encoding (documented in the crate docs, "Record format"). Format 2 is format 1 followed by
//! the record's links; a record without links is written in format 1, so a journal that never
//! carries links is byte-for-byte what it always was.

use jiff::Timestamp;
use jiff::civil::Date;

use crate::record::{Hash, Link, Origin, Record, Subject};

/// The format of a record without links.
pub(crate) const FORMAT_VERSION: u8 = 1;
/// The format of a record with links (format 1, then the links).
pub(crate) const FORMAT_WITH_LINKS: u8 = 2;

/// Whether `byte` is a record format this build reads.
pub(crate) fn is_record_format(byte: u8) -> bool {
    byte == FORMAT_VERSION || byte == FORMAT_WITH_LINKS
}

/// The format `r` is written in.
pub(crate) fn format_of(r: &Record) -> u8 {
    if r.links.is_empty() {
        FORMAT_VERSION
    } else {
        FORMAT_WITH_LINKS
    }
}
/// Version byte plus hash.
pub(crate) const HEADER_LEN: usize = 1 + 32;
/// Offset of `sequence` inside the stored value.
pub(crate) const SEQUENCE_AT: usize = HEADER_LEN;
/// Offset of `prev_hash` inside the stored value.
pub(crate) const PREV_HASH_AT: usize = SEQUENCE_AT + 8;
/// The shortest well-formed prefix: header, sequence and prev_hash.
pub(crate) const FIXED_LEN: usize = PREV_HASH_AT + 32;

/// A journal key: the sequence in big-endian, so byte order is sequence order.
pub(crate) fn key(sequence: u64) -> [u8; 8] {
    sequence.to_be_bytes()
}

/// Parses a journal key.
pub(crate) fn parse_key(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.try_into().ok()?))
}

/// The stored hash, read at its fixed offset without decoding.
pub(crate) fn peek_hash(stored: &[u8]) -> Option<Hash> {
    stored.get(1..HEADER_LEN)?.try_into().ok()
}

/// The body's sequence, read at its fixed offset without decoding.
pub(crate) fn peek_sequence(stored: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(
        stored.get(SEQUENCE_AT..PREV_HASH_AT)?.try_into().ok()?,
    ))
}

/// The body's prev_hash, read at its fixed offset without decoding.
pub(crate) fn peek_prev_hash(stored: &[u8]) -> Option<Hash> {
    stored.get(PREV_HASH_AT..FIXED_LEN)?.try_into().ok()
}

/// A capacity hint for the body, to avoid reallocation while encoding.
pub(crate) fn body_len_hint(r: &Record) -> usize {
    let opt = |s: &Option<String>| 1 + s.as_ref().map_or(0, |s| 4 + s.len());
    8 + 32
        + 4
        + r.source.len()
        + 4
        + r.kind.len()
        + opt(&r.subject.state)
        + opt(&r.subject.treaty)
        + opt(&r.subject.case)
        + 4
        + r.actor.len()
        + 5
        + 12
        + 4
        + r.sources.iter().map(|s| 4 + s.len()).sum::<usize>()
        + 4
        + r.payload.len()
        + 1
        + r.origin
            .as_ref()
            .map_or(0, |o| 4 + o.source.len() + 8 + 64 + 12)
        + if r.links.is_empty() {
            0
        } else {
            4 + r.links.iter().map(|l| 4 + l.key.len() + 16).sum::<usize>()
        }
}

/// Appends the canonical body of `r` (everything except `hash`) to `out`.
pub(crate) fn write_body(r: &Record, out: &mut Vec<u8>) {
    out.extend_from_slice(&r.sequence.to_be_bytes());
    out.extend_from_slice(&r.prev_hash);
    put_bytes(out, r.source.as_bytes());
    put_bytes(out, r.kind.as_bytes());
    put_opt_str(out, r.subject.state.as_deref());
    put_opt_str(out, r.subject.treaty.as_deref());
    put_opt_str(out, r.subject.case.as_deref());
    put_bytes(out, r.actor.as_bytes());
    match r.occurred_on {
        None => out.push(0),
        Some(d) => {
            out.push(1);
            out.extend_from_slice(&d.year().to_be_bytes());
            out.push(d.month().cast_unsigned());
            out.push(d.day().cast_unsigned());
        }
    }
    put_timestamp(out, r.recorded_at);
    put_len(out, r.sources.len());
    for s in &r.sources {
        put_bytes(out, s.as_bytes());
    }
    put_bytes(out, &r.payload);
    match &r.origin {
        None => out.push(0),
        Some(o) => {
            out.push(1);
            put_bytes(out, o.source.as_bytes());
            out.extend_from_slice(&o.sequence.to_be_bytes());
            out.extend_from_slice(&o.prev_hash);
            out.extend_from_slice(&o.hash);
            put_timestamp(out, o.recorded_at);
        }
    }
    if !r.links.is_empty() {
        put_len(out, r.links.len());
        for l in &r.links {
            put_bytes(out, l.key.as_bytes());
            out.extend_from_slice(&l.count.to_be_bytes());
            out.extend_from_slice(&l.prev.to_be_bytes());
        }
    }
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    let len = u32::try_from(len).expect("a record field longer than 4 GiB cannot be stored");
    out.extend_from_slice(&len.to_be_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_bytes(out, s.as_bytes());
        }
    }
}

fn put_timestamp(out: &mut Vec<u8>, t: Timestamp) {
    out.extend_from_slice(&t.as_second().to_be_bytes());
    out.extend_from_slice(&t.subsec_nanosecond().to_be_bytes());
}

/// Decodes a stored value strictly (unknown version, bad tags, non-canonical values and
/// trailing bytes are errors).
pub(crate) fn decode(stored: &[u8]) -> Result<Record, String> {
    let Some(&version) = stored.first() else {
        return Err("the stored value is empty".into());
    };
    if !is_record_format(version) {
        return Err(format!("unknown record format version {version}"));
    }
    let mut r = Reader { buf: stored, at: 1 };
    let hash = r.hash()?;
    let sequence = r.u64()?;
    let prev_hash = r.hash()?;
    let source = r.string()?;
    let kind = r.string()?;
    let subject = Subject {
        state: r.opt_string()?,
        treaty: r.opt_string()?,
        case: r.opt_string()?,
    };
    let actor = r.string()?;
    let occurred_on = if r.flag()? {
        let year = i16::from_be_bytes(r.array()?);
        let [month, day] = r.array::<2>()?;
        let date = Date::new(year, month.cast_signed(), day.cast_signed())
            .map_err(|e| format!("occurred_on is not a date: {e}"))?;
        Some(date)
    } else {
        None
    };
    let recorded_at = r.timestamp()?;
    let count = r.len()?;
    let mut sources = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        sources.push(r.string()?);
    }
    let payload = r.bytes()?.to_vec();
    let origin = if r.flag()? {
        Some(Origin {
            source: r.string()?,
            sequence: r.u64()?,
            prev_hash: r.hash()?,
            hash: r.hash()?,
            recorded_at: r.timestamp()?,
        })
    } else {
        None
    };
    let mut links = Vec::new();
    if version == FORMAT_WITH_LINKS {
        let count = r.len()?;
        if count == 0 {
            return Err("a format 2 record without links (it is written in format 1)".into());
        }
        links.reserve(count.min(64));
        for _ in 0..count {
            links.push(Link {
                key: r.string()?,
                count: r.u64()?,
                prev: r.u64()?,
            });
        }
    }
    if r.at != stored.len() {
        return Err(format!(
            "{} trailing bytes after the record",
            stored.len() - r.at
        ));
    }
    Ok(Record {
        sequence,
        prev_hash,
        hash,
        source,
        kind,
        subject,
        actor,
        occurred_on,
        recorded_at,
        sources,
        payload,
        origin,
        links,
    })
}

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.buf.len())
            .ok_or_else(|| format!("truncated at byte {} (wanted {n} more)", self.at))?;
        let bytes = &self.buf[self.at..end];
        self.at = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        Ok(self.take(N)?.try_into().expect("take returns N bytes"))
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    fn hash(&mut self) -> Result<Hash, String> {
        self.array()
    }

    fn len(&mut self) -> Result<usize, String> {
        Ok(u32::from_be_bytes(self.array()?) as usize)
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = self.len()?;
        self.take(len)
    }

    fn string(&mut self) -> Result<String, String> {
        let at = self.at;
        let bytes = self.bytes()?;
        String::from_utf8(bytes.to_vec()).map_err(|_| format!("invalid UTF-8 at byte {at}"))
    }

    fn flag(&mut self) -> Result<bool, String> {
        match self.array::<1>()? {
            [0] => Ok(false),
            [1] => Ok(true),
            [tag] => Err(format!("invalid option tag {tag} at byte {}", self.at - 1)),
        }
    }

    fn opt_string(&mut self) -> Result<Option<String>, String> {
        if self.flag()? {
            Ok(Some(self.string()?))
        } else {
            Ok(None)
        }
    }

    fn timestamp(&mut self) -> Result<Timestamp, String> {
        let second = i64::from_be_bytes(self.array()?);
        let nanosecond = i32::from_be_bytes(self.array()?);
        let t =
            Timestamp::new(second, nanosecond).map_err(|e| format!("invalid timestamp: {e}"))?;
        if t.as_second() != second || t.subsec_nanosecond() != nanosecond {
            return Err("non-canonical timestamp".into());
        }
        Ok(t)
    }
}
