//! The output of a child run with limits: a memfd the child writes to, kept small while it
//! runs by saving its start and its latest bytes and emptying it, then shown on one line.

use std::fs::File;
use std::os::unix::fs::FileExt;

/// Bytes the buffer may hold before it is emptied (plus what the child writes in one poll).
const LIMIT: u64 = 64 * 1024;
/// Bytes kept from the start of the output, and from its end.
const HEAD_KEPT: usize = 4 * 1024;
const TAIL_KEPT: usize = 4 * 1024;
/// Characters shown from the start of long output, and from its end.
const HEAD_SHOWN: usize = 100;
const TAIL_SHOWN: usize = 200;

/// A memfd opened with O_APPEND, shared with the child as its stdout and stderr.
pub struct Buffer {
    file: File,
    /// The start of the output, saved when the buffer was first emptied.
    head: Vec<u8>,
    /// The end of the output as it was when the buffer was last emptied.
    tail: Vec<u8>,
    /// Whether the buffer has been emptied (so some of the middle is gone).
    emptied: bool,
}

impl Buffer {
    /// Wraps `file`, which must be opened with O_APPEND so the child writes follow a truncate.
    pub fn new(file: File) -> Buffer {
        Buffer {
            file,
            head: Vec::new(),
            tail: Vec::new(),
            emptied: false,
        }
    }

    /// The memfd, to hand to the child.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Empties the memfd when it holds more than LIMIT bytes, keeping its start and its end.
    pub fn keep_bounded(&mut self) {
        let size = self.size();
        if size <= LIMIT {
            return;
        }
        if !self.emptied {
            self.head = self.read(0, HEAD_KEPT);
        }
        self.tail = self.read(size.saturating_sub(TAIL_KEPT as u64), TAIL_KEPT);
        // Whatever the child wrote since the size was taken is lost with the middle.
        if self.file.set_len(0).is_ok() {
            self.emptied = true;
        }
    }

    /// The output, folded to one line, with its middle cut out when it is long.
    pub fn shown(&self) -> String {
        let size = self.size();
        if !self.emptied && size <= (HEAD_KEPT + TAIL_KEPT) as u64 {
            return shown(&self.read(0, size as usize), &[], false);
        }
        let head = if self.emptied {
            self.head.clone()
        } else {
            self.read(0, HEAD_KEPT)
        };
        let mut tail = self.tail.clone();
        tail.extend(self.read(size.saturating_sub(TAIL_KEPT as u64), TAIL_KEPT));
        let tail = &tail[tail.len().saturating_sub(TAIL_KEPT)..];
        shown(&head, tail, true)
    }

    fn size(&self) -> u64 {
        self.file.metadata().map(|m| m.len()).unwrap_or(0)
    }

    /// Up to `len` bytes at `offset` (fewer when the child has not written them or the
    /// buffer was emptied meanwhile).
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
