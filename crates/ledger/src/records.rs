//! Reading stored records back.

use crate::codec;
use crate::error::LedgerError;
use crate::record::Record;

/// An iterator over durable records, from [`Ledger::range`](crate::Ledger::range).
pub struct Records {
    pub(crate) inner: Option<sled::Iter>,
}

impl std::fmt::Debug for Records {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records").finish_non_exhaustive()
    }
}

impl Iterator for Records {
    type Item = Result<Record, LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.inner.as_mut()?.next()?;
        Some(item.map_err(LedgerError::from).and_then(decode_entry))
    }
}

impl DoubleEndedIterator for Records {
    fn next_back(&mut self) -> Option<Self::Item> {
        let item = self.inner.as_mut()?.next_back()?;
        Some(item.map_err(LedgerError::from).and_then(decode_entry))
    }
}

fn decode_entry((key, value): (sled::IVec, sled::IVec)) -> Result<Record, LedgerError> {
    let sequence = codec::parse_key(&key).ok_or_else(|| LedgerError::Corrupt {
        sequence: 0,
        detail: format!("a journal key is {} bytes long, not 8", key.len()),
    })?;
    decode_at(sequence, &value)
}

pub(crate) fn decode_at(sequence: u64, value: &[u8]) -> Result<Record, LedgerError> {
    let record =
        codec::decode(value).map_err(|detail| LedgerError::Corrupt { sequence, detail })?;
    if record.sequence != sequence {
        return Err(LedgerError::Corrupt {
            sequence,
            detail: format!("the entry stored here is entry {}", record.sequence),
        });
    }
    Ok(record)
}
