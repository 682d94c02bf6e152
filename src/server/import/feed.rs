//! Reading an import's file on a blocking thread: each row parsed and validated there, in
//! parallel with the database work, and sent on in batches, with the dedup keys of the rows an
//! earlier run already committed.

use super::job::BATCH_ROWS;
use super::reader::{self, Layout, cells};
use super::rows::{Candidate, Plan, candidate};
use crate::domain::import::ImportKind;
use crate::server::db::imports::Import;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use tokio::sync::mpsc;

/// What the reader thread sends.
pub(super) enum Feed {
    Total(i64),
    /// Keys of rows committed before a restart (so duplicates of them are still recognised).
    Seen(Vec<(u64, u32)>),
    Batch(Vec<(i64, Result<Candidate, String>)>),
    Failed(String),
}

/// Reads the file on a blocking thread: optionally counts its rows first, then sends the rows
/// after `start_after` in batches (the keys of the rows before, for duplicate detection).
pub(super) fn read_file(
    import: &Import,
    plan: Plan,
    start_after: i64,
    count: bool,
) -> mpsc::Receiver<Feed> {
    let (tx, rx) = mpsc::channel(2);
    let path = PathBuf::from(&import.file_path);
    let layout = Layout {
        encoding: encoding_rs::Encoding::for_label(import.encoding.as_bytes())
            .unwrap_or(encoding_rs::UTF_8),
        delimiter: reader::delimiter_from_name(&import.delimiter),
        skip_records: import.skip_records.max(0) as usize,
    };
    tokio::task::spawn_blocking(move || {
        let fail =
            |e: &dyn std::fmt::Display| Feed::Failed(format!("The file could not be read: {e}"));
        if count {
            let total = reader::records(&path, &layout).and_then(|mut r| {
                let mut record = csv::ByteRecord::new();
                let mut n = 0i64;
                while r
                    .read_byte_record(&mut record)
                    .map_err(std::io::Error::other)?
                {
                    n += 1;
                }
                Ok(n)
            });
            let feed = match total {
                Ok(n) => Feed::Total(n),
                Err(e) => fail(&e),
            };
            if tx.blocking_send(feed).is_err() {
                return;
            }
        }
        let mut r = match reader::records(&path, &layout) {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.blocking_send(fail(&e));
                return;
            }
        };
        let mut record = csv::ByteRecord::new();
        let mut row = 0i64;
        let mut seen = Vec::new();
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        loop {
            match r.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let _ = tx.blocking_send(fail(&e));
                    return;
                }
            }
            row += 1;
            let parsed = candidate(&plan, &cells(&record));
            if row <= start_after {
                if let Ok(c) = &parsed {
                    seen.extend(keys(plan.kind, c).into_iter().map(|(k, _)| (k, row as u32)));
                }
                if seen.len() >= 50_000
                    && tx
                        .blocking_send(Feed::Seen(std::mem::take(&mut seen)))
                        .is_err()
                {
                    return;
                }
                continue;
            }
            if !seen.is_empty()
                && tx
                    .blocking_send(Feed::Seen(std::mem::take(&mut seen)))
                    .is_err()
            {
                return;
            }
            batch.push((row, parsed));
            if batch.len() == BATCH_ROWS
                && tx
                    .blocking_send(Feed::Batch(std::mem::replace(
                        &mut batch,
                        Vec::with_capacity(BATCH_ROWS),
                    )))
                    .is_err()
            {
                return;
            }
        }
        if !seen.is_empty() {
            let _ = tx.blocking_send(Feed::Seen(seen));
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(Feed::Batch(batch));
        }
    });
    rx
}

/// A row's duplicate keys, hashed (8 bytes each, so a million rows' keys fit in a few MB),
/// with what they are for the message. The hash is keyed at random once per process, so a
/// crafted file cannot pile its keys into one bucket of the (identity-hashed) seen map.
pub(super) fn keys(kind: ImportKind, c: &Candidate) -> Vec<(u64, &'static str)> {
    static KEYED: std::sync::OnceLock<std::collections::hash_map::RandomState> =
        std::sync::OnceLock::new();
    let hash = |tag: &str, v: &str| {
        let mut h = std::hash::BuildHasher::build_hasher(KEYED.get_or_init(Default::default));
        tag.hash(&mut h);
        v.hash(&mut h);
        h.finish()
    };
    let mut out = Vec::new();
    if let Some(id) = c.id {
        out.push((hash("id", &id.to_string()), "record id"));
    }
    match kind {
        ImportKind::Accounts => {
            if let Some(d) = c.email_or_domain() {
                out.push((hash("domain", d), "domain"));
            }
            if let Some(n) = c.account_name().filter(|n| !n.is_empty()) {
                out.push((hash("name", n), "name"));
            }
        }
        _ => {
            if let Some(e) = c.email_or_domain() {
                out.push((hash("email", e), "email"));
            }
        }
    }
    out
}
