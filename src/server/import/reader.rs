//! Reading an uploaded CSV file whatever produced it: the encoding (BOM, UTF-8, UTF-16 with or
//! without BOM, else the legacy code page `chardetng` names, typically Windows-1252), the
//! delimiter (comma, semicolon, tab or bar) and the header row after any preamble lines
//! (LinkedIn puts notes above its header). Records are streamed, never held all at once.

use crate::domain::import::{ImportKind, guess_field};
use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};
use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

/// How much of the file the delimiter and header are guessed from.
const HEAD_BYTES: usize = 256 * 1024;
/// Records read to find the header and the usual number of columns.
const SNIFF_RECORDS: usize = 40;
const SAMPLE_ROWS: usize = 5;

/// What the importer needs to read a file again, the same way, from the start.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub encoding: &'static Encoding,
    pub delimiter: u8,
    /// Records before the header (preamble).
    pub skip_records: usize,
}

#[derive(Clone, Debug)]
pub struct Sniffed {
    pub layout: Layout,
    pub headers: Vec<String>,
    pub sample: Vec<Vec<String>>,
}

/// Tracks whether a byte stream is valid UTF-8 as it goes by in chunks (a character may be
/// split between two chunks).
pub struct Utf8Check {
    carry: Vec<u8>,
    pub valid: bool,
}

impl Utf8Check {
    pub fn new() -> Utf8Check {
        Utf8Check {
            carry: Vec::new(),
            valid: true,
        }
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        if !self.valid {
            return;
        }
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(chunk);
        match std::str::from_utf8(&buf) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() => self.carry = buf[e.valid_up_to()..].to_vec(),
            Err(_) => self.valid = false,
        }
    }

    /// Valid to the end (nothing left half-way through a character).
    pub fn finish(&self) -> bool {
        self.valid && self.carry.is_empty()
    }
}

/// The encoding of a file, given its first bytes and whether all of it is valid UTF-8.
pub fn encoding_of(head: &[u8], whole_file_is_utf8: bool) -> &'static Encoding {
    if let Some((encoding, _)) = Encoding::for_bom(head) {
        return encoding;
    }
    // UTF-16 without a BOM: ASCII text has a zero byte in every other position.
    let n = head.len().min(4096) & !1;
    if n >= 4 {
        let zeros_at = |offset: usize| {
            head[offset..n]
                .iter()
                .step_by(2)
                .filter(|b| **b == 0)
                .count()
        };
        let (even, odd) = (zeros_at(0), zeros_at(1));
        if odd > n / 8 && even == 0 {
            return UTF_16LE;
        }
        if even > n / 8 && odd == 0 {
            return UTF_16BE;
        }
    }
    if whole_file_is_utf8 {
        return UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(head, false);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

/// A reader that yields the file's text as UTF-8 (a BOM is removed).
pub fn decoded(
    path: &Path,
    encoding: &'static Encoding,
) -> io::Result<DecodeReaderBytes<File, Vec<u8>>> {
    let file = File::open(path)?;
    Ok(DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .utf8_passthru(true)
        .strip_bom(true)
        .build(file))
}

fn csv_reader<R: Read>(input: R, delimiter: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(256 * 1024)
        .from_reader(input)
}

/// Opens the file for reading records, positioned on the first data row.
pub fn records(
    path: &Path,
    layout: &Layout,
) -> io::Result<csv::Reader<BufReader<DecodeReaderBytes<File, Vec<u8>>>>> {
    let mut reader = csv_reader(
        BufReader::new(decoded(path, layout.encoding)?),
        layout.delimiter,
    );
    let mut record = csv::ByteRecord::new();
    for _ in 0..=layout.skip_records {
        if !reader
            .read_byte_record(&mut record)
            .map_err(io::Error::other)?
        {
            break;
        }
    }
    Ok(reader)
}

/// A record's cells as text (invalid UTF-8 in a cell, possible only in a file that lied about
/// its encoding, becomes U+FFFD rather than an error).
pub fn cells(record: &csv::ByteRecord) -> Vec<String> {
    record
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect()
}

/// Whether the file is valid UTF-8 from start to end, read in chunks.
pub fn file_is_utf8(path: &Path) -> io::Result<bool> {
    let mut file = File::open(path)?;
    let mut check = Utf8Check::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        check.feed(&buf[..n]);
        if !check.valid {
            break;
        }
    }
    Ok(check.finish())
}

/// Works out how to read the file: encoding, delimiter, preamble, header and a sample.
/// `utf8` is whether the whole file is valid UTF-8 (known from the upload, or scanned).
pub fn sniff(path: &Path, kind: ImportKind, utf8: Option<bool>) -> Result<Sniffed, String> {
    let unreadable = |e: io::Error| format!("The file could not be read: {e}");
    let mut head = Vec::with_capacity(HEAD_BYTES);
    File::open(path)
        .map_err(unreadable)?
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(unreadable)?;
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("The file is empty.".into());
    }
    let utf8 = match utf8 {
        Some(v) => v,
        None => file_is_utf8(path).map_err(unreadable)?,
    };
    let encoding = encoding_of(&head, utf8);
    let mut text = String::new();
    let mut decoder = DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .strip_bom(true)
        .build(&head[..]);
    decoder.read_to_string(&mut text).map_err(unreadable)?;
    // The head may end mid-record; only whole records before the cut are trusted.
    let truncated = head.len() == HEAD_BYTES;

    let mut best: Option<(usize, usize, u8, Vec<Vec<String>>)> = None;
    for delimiter in [b',', b';', b'\t', b'|'] {
        let mut reader = csv_reader(text.as_bytes(), delimiter);
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut record = csv::ByteRecord::new();
        while rows.len() < SNIFF_RECORDS {
            match reader.read_byte_record(&mut record) {
                Ok(true) => rows.push(cells(&record)),
                _ => break,
            }
        }
        if truncated && rows.len() > 1 {
            rows.pop();
        }
        let widths = rows.iter().map(Vec::len);
        let mode = most_common(widths);
        let agreeing = rows.iter().filter(|r| r.len() == mode).count();
        if mode < 2 {
            continue;
        }
        let better = match &best {
            None => true,
            Some((a, m, _, _)) => agreeing > *a || (agreeing == *a && mode > *m),
        };
        if better {
            best = Some((agreeing, mode, delimiter, rows));
        }
    }
    let Some((_, width, delimiter, rows)) = best else {
        return Err("No columns found: the file needs a header row and values separated by commas, semicolons or tabs.".into());
    };
    // The header: the first full-width row naming a field we know, else the first full-width row.
    let full = |r: &Vec<String>| {
        r.len() == width && r.iter().filter(|c| !c.trim().is_empty()).count() >= 2
    };
    let names_a_field = |r: &Vec<String>| r.iter().any(|c| guess_field(kind, c).is_some());
    let header_at = rows
        .iter()
        .position(|r| full(r) && names_a_field(r))
        .or_else(|| rows.iter().position(full))
        .ok_or("No header row found: the first line should name the columns.")?;
    let headers: Vec<String> = rows[header_at]
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let sample = rows
        .iter()
        .skip(header_at + 1)
        .take(SAMPLE_ROWS)
        .cloned()
        .collect();
    Ok(Sniffed {
        layout: Layout {
            encoding,
            delimiter,
            skip_records: header_at,
        },
        headers,
        sample,
    })
}

fn most_common(values: impl Iterator<Item = usize>) -> usize {
    let mut counts = std::collections::BTreeMap::new();
    for v in values {
        *counts.entry(v).or_insert(0usize) += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(width, n)| (*n, *width))
        .map(|(w, _)| w)
        .unwrap_or(0)
}

/// The delimiter as people say it.
pub fn delimiter_name(d: u8) -> &'static str {
    match d {
        b';' => "semicolon",
        b'\t' => "tab",
        b'|' => "bar",
        _ => "comma",
    }
}

pub fn delimiter_from_name(name: &str) -> u8 {
    match name {
        "semicolon" => b';',
        "tab" => b'\t',
        "bar" => b'|',
        _ => b',',
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(bytes: &[u8]) -> tempfile_path::TempPath {
        tempfile_path::write(bytes)
    }

    /// A file in the temp directory, removed when dropped.
    mod tempfile_path {
        use std::path::{Path, PathBuf};
        pub struct TempPath(PathBuf);
        impl std::ops::Deref for TempPath {
            type Target = Path;
            fn deref(&self) -> &Path {
                &self.0
            }
        }
        impl Drop for TempPath {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
        pub fn write(bytes: &[u8]) -> TempPath {
            let path = std::env::temp_dir().join(format!("crm-sniff-{}.csv", uuid::Uuid::new_v4()));
            std::fs::write(&path, bytes).ok();
            TempPath(path)
        }
    }

    fn read_all(path: &Path, layout: &Layout) -> Vec<Vec<String>> {
        let mut r = records(path, layout).expect("open");
        let mut out = Vec::new();
        let mut rec = csv::ByteRecord::new();
        while r.read_byte_record(&mut rec).expect("read") {
            out.push(cells(&rec));
        }
        out
    }

    #[test]
    fn utf8_with_bom_and_quoted_newlines_and_quotes() {
        let f = file("\u{feff}First Name,Last Name,Email\n\"Zoë\",\"O'Brien, Jr.\",zoe@example.com\n\"Multi\nLine\",\"He said \"\"hi\"\"\",m@example.com\n".as_bytes());
        let s = sniff(&f, ImportKind::Contacts, None).expect("sniff");
        assert_eq!(s.layout.encoding, UTF_8);
        assert_eq!(s.headers, vec!["First Name", "Last Name", "Email"]);
        let rows = read_all(&f, &s.layout);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][1], "O'Brien, Jr.");
        assert_eq!(rows[1][0], "Multi\nLine");
        assert_eq!(rows[1][1], "He said \"hi\"");
    }

    #[test]
    fn semicolons_tabs_and_a_preamble() {
        let f = file(b"Name;Email;Company\nAda;ada@example.com;Acme\n");
        assert_eq!(
            sniff(&f, ImportKind::Leads, None)
                .expect("sniff")
                .layout
                .delimiter,
            b';'
        );
        let f = file(b"Name\tEmail\nAda\tada@example.com\n");
        assert_eq!(
            sniff(&f, ImportKind::Leads, None)
                .expect("sniff")
                .layout
                .delimiter,
            b'\t'
        );
        let linkedin = b"Notes:\n\"When exporting your connection data, you may notice that some of the email addresses are missing.\"\n\nFirst Name,Last Name,URL,Email Address,Company,Position,Connected On\nAda,Lovelace,https://x,ada@example.com,Acme,CTO,01 Jan 2026\n";
        let f = file(linkedin);
        let s = sniff(&f, ImportKind::Contacts, None).expect("sniff");
        assert_eq!(s.headers[0], "First Name");
        assert_eq!(s.layout.skip_records, 2);
        let rows = read_all(&f, &s.layout);
        assert_eq!(
            rows,
            vec![vec![
                "Ada",
                "Lovelace",
                "https://x",
                "ada@example.com",
                "Acme",
                "CTO",
                "01 Jan 2026"
            ]]
        );
    }

    #[test]
    fn utf16_and_windows_1252() {
        let text = "Name,Email\nJosé Müller,jose@example.com\n";
        let mut le = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            le.write_all(&u.to_le_bytes()).ok();
        }
        let f = file(&le);
        let s = sniff(&f, ImportKind::Leads, None).expect("sniff");
        assert_eq!(s.layout.encoding, UTF_16LE);
        assert_eq!(read_all(&f, &s.layout)[0][0], "José Müller");
        // Without a BOM.
        let f = file(&le[2..]);
        let s = sniff(&f, ImportKind::Leads, None).expect("sniff");
        assert_eq!(s.layout.encoding, UTF_16LE);
        assert_eq!(read_all(&f, &s.layout)[0][0], "José Müller");
        // Windows-1252: é is 0xE9, ü is 0xFC.
        let f = file(b"Name,Email\nJos\xe9 M\xfcller,jose@example.com\nFran\xe7ois Tr\xe9panier,f@example.com\n");
        let s = sniff(&f, ImportKind::Leads, None).expect("sniff");
        assert_eq!(s.layout.encoding, encoding_rs::WINDOWS_1252);
        assert_eq!(read_all(&f, &s.layout)[0][0], "José Müller");
    }

    #[test]
    fn empty_and_columnless_files_are_refused() {
        assert!(sniff(&file(b""), ImportKind::Leads, None).is_err());
        assert!(
            sniff(
                &file(b"just one column\nand another line\n"),
                ImportKind::Leads,
                None
            )
            .is_err()
        );
    }

    #[test]
    fn utf8_split_across_chunks_is_still_valid() {
        let bytes = "é".as_bytes();
        let mut c = Utf8Check::new();
        c.feed(&bytes[..1]);
        c.feed(&bytes[1..]);
        assert!(c.finish());
        let mut c = Utf8Check::new();
        c.feed(b"\xe9 ");
        assert!(!c.finish());
    }
}
