//! The output of a child run with limits: a memfd the child writes to, kept small while it
//! runs by punching its middle out (its start and its latest bytes stay, nothing the child
//! writes meanwhile is lost), then shown on one line.

use std::fs::File;
use std::os::unix::fs::FileExt;

use nix::fcntl::{FallocateFlags, fallocate};

/// Bytes the buffer may hold before its middle is punched out (plus what the child writes in
/// one poll).
const LIMIT: u64 = 64 * 1024;
/// Bytes kept from the start of the output, and from its end.
const HEAD_KEPT: usize = 4 * 1024;
const TAIL_KEPT: usize = 4 * 1024;
/// Characters shown from the start of long output, and from its end.
const HEAD_SHOWN: usize = 100;
const TAIL_SHOWN: usize = 200;

/// A memfd opened with O_APPEND, shared with the child as its stdout and stderr. Its size
/// only grows; the memory it holds stays bounded because the middle is a hole.
pub struct Buffer {
    file: File,
    /// Where the bytes still held after the hole start (0: no hole yet).
    kept_from: u64,
}

impl Buffer {
    /// Wraps `file`, which must be opened with O_APPEND so the child writes follow a truncate.
    pub fn new(file: File) -> Buffer {
        Buffer { file, kept_from: 0 }
    }

    /// The memfd, to hand to the child.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Punches out all but the first HEAD_KEPT and the last TAIL_KEPT bytes when the memfd
    /// holds more than LIMIT bytes past its start: the child's writes land at the end all the
    /// while (O_APPEND), so nothing it writes meanwhile is lost.
    pub fn keep_bounded(&mut self) {
        let size = self.size();
        let from = self.kept_from.max(HEAD_KEPT as u64);
        if size.saturating_sub(from) <= LIMIT {
            return;
        }
        let to = size - TAIL_KEPT as u64;
        let punch = FallocateFlags::FALLOC_FL_PUNCH_HOLE | FallocateFlags::FALLOC_FL_KEEP_SIZE;
        let (Ok(offset), Ok(len)) = (i64::try_from(from), i64::try_from(to - from)) else {
            return;
        };
        if fallocate(&self.file, punch, offset, len).is_ok() {
            self.kept_from = to;
        }
    }

    /// The output, folded to one line, with its middle cut out when it is long.
    pub fn shown(&self) -> String {
        let size = self.size();
        if self.kept_from == 0 && size <= (HEAD_KEPT + TAIL_KEPT) as u64 {
            return shown(&self.read(0, size as usize), &[], false);
        }
        let head = self.read(0, HEAD_KEPT);
        let tail_from = self.kept_from.max(size.saturating_sub(TAIL_KEPT as u64));
        let tail = self.read(tail_from, TAIL_KEPT);
        shown(&head, &tail, true)
    }

    fn size(&self) -> u64 {
        self.file.metadata().map(|m| m.len()).unwrap_or(0)
    }

    /// Up to `len` bytes at `offset` (fewer when the child has not written them).
    fn read(&self, offset: u64, len: usize) -> Vec<u8> {
        let mut bytes = vec![0; len];
        let mut filled = 0;
        while filled < len {
            match self
                .file
                .read_at(&mut bytes[filled..], offset + filled as u64)
            {
                Ok(0) | Err(_) => break,
                Ok(n) => filled += n,
            }
        }
        bytes.truncate(filled);
        bytes
    }
}

/// Output as one line: whitespace runs become one space, other control characters are
/// escaped, and long text keeps its first HEAD_SHOWN and last TAIL_SHOWN characters. With
/// `gap`, `head` and `tail` are the two ends of output whose middle is gone.
pub(super) fn shown(head: &[u8], tail: &[u8], gap: bool) -> String {
    let head = folded(head);
    let tail = folded(tail);
    let whole = if gap {
        format!("{head} … {tail}")
    } else {
        format!("{head}{tail}")
    };
    if !gap && whole.chars().count() <= HEAD_SHOWN + TAIL_SHOWN {
        return whole;
    }
    let start: String = head.chars().take(HEAD_SHOWN).collect();
    let source = if gap { &tail } else { &whole };
    let skip = source.chars().count().saturating_sub(TAIL_SHOWN);
    let end: String = source.chars().skip(skip).collect();
    format!("{start} … {end}")
}

/// Whitespace runs folded to one space, other control characters escaped, ends trimmed.
fn folded(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
    }
    out
}
