//! The ring buffer of a detached process: the most recent output, at most
//! `capacity` bytes of stdout and stderr together, in arrival order. The
//! oldest text is evicted first, and only at character boundaries, so what
//! is read is always valid UTF-8. With `encoding: 'buffer'` it holds bytes
//! and evicts them exactly.

use std::collections::VecDeque;

use super::decode::Data;
use super::output::StreamKind;

/// Default capacity: 1 MiB per process.
pub const DEFAULT_CAPACITY: usize = 1 << 20;

/// What `read()`/`peek()` return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferSnapshot {
    pub stdout: Data,
    pub stderr: Data,
}

impl Default for BufferSnapshot {
    fn default() -> Self {
        BufferSnapshot {
            stdout: Data::empty(false),
            stderr: Data::empty(false),
        }
    }
}

/// Output segments under a byte cap.
#[derive(Debug)]
pub struct RingBuffer {
    segments: VecDeque<(StreamKind, Data)>,
    size: usize,
    capacity: usize,
    overflowed: bool,
    /// Holds bytes (`encoding: 'buffer'`), not text.
    binary: bool,
}

impl RingBuffer {
    pub fn new(capacity: usize) -> Self {
        Self::with_encoding(capacity, false)
    }

    /// A buffer of bytes when `binary`, of text otherwise.
    pub fn with_encoding(capacity: usize, binary: bool) -> Self {
        RingBuffer {
            segments: VecDeque::new(),
            size: 0,
            capacity,
            overflowed: false,
            binary,
        }
    }

    /// Appends output, evicting the oldest beyond the capacity.
    pub fn push(&mut self, kind: StreamKind, text: impl Into<Data>) {
        let mut text = text.into();
        if text.is_empty() {
            return;
        }
        if text.len() > self.capacity {
            // Only the newest `capacity` bytes of this text can stay.
            text.drain_front(text.len() - self.capacity);
            self.segments.clear();
            self.size = 0;
            self.overflowed = true;
        }
        self.size += text.len();
        match self.segments.back_mut() {
            Some((k, last)) if *k == kind => last.append(&text),
            _ => self.segments.push_back((kind, text)),
        }
        while self.size > self.capacity {
            self.overflowed = true;
            let excess = self.size - self.capacity;
            let Some((_, front)) = self.segments.front_mut() else {
                break;
            };
            if front.len() <= excess {
                self.size -= front.len();
                self.segments.pop_front();
            } else {
                self.size -= front.drain_front(excess);
            }
        }
    }

    /// Bytes currently held.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether anything was ever evicted.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// The held text, left in place.
    pub fn peek(&self) -> BufferSnapshot {
        let mut snap = BufferSnapshot {
            stdout: Data::empty(self.binary),
            stderr: Data::empty(self.binary),
        };
        for (kind, text) in &self.segments {
            match kind {
                StreamKind::Stdout => snap.stdout.append(text),
                StreamKind::Stderr => snap.stderr.append(text),
            }
        }
        snap
    }

    /// The held text, removed.
    pub fn read(&mut self) -> BufferSnapshot {
        let snap = self.peek();
        self.segments.clear();
        self.size = 0;
        snap
    }
}

impl From<String> for Data {
    fn from(s: String) -> Self {
        Data::Text(s)
    }
}

impl From<&str> for Data {
    fn from(s: &str) -> Self {
        Data::Text(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_per_stream_and_peek_does_not_consume() {
        let mut r = RingBuffer::new(100);
        r.push(StreamKind::Stdout, "a");
        r.push(StreamKind::Stderr, "x");
        r.push(StreamKind::Stdout, "b");
        let snap = r.peek();
        assert_eq!(
            (snap.stdout.to_text(), snap.stderr.to_text()),
            ("ab".into(), "x".into())
        );
        assert_eq!(r.peek(), snap);
        assert_eq!(r.read(), snap);
        assert_eq!(r.read(), BufferSnapshot::default());
        assert_eq!(r.size(), 0);
        assert!(!r.overflowed());
    }

    #[test]
    fn evicts_the_oldest_bytes_at_character_boundaries() {
        let mut r = RingBuffer::new(10);
        r.push(StreamKind::Stdout, "€€€"); // 9 bytes
        r.push(StreamKind::Stderr, "ab"); // 11 bytes: one € must go
        assert!(r.overflowed());
        assert!(r.size() <= 10);
        let snap = r.peek();
        assert_eq!(
            (snap.stdout.to_text(), snap.stderr.to_text()),
            ("€€".into(), "ab".into())
        );
    }

    #[test]
    fn a_push_larger_than_the_capacity_keeps_its_newest_part() {
        let mut r = RingBuffer::new(4);
        r.push(StreamKind::Stdout, "old");
        r.push(StreamKind::Stdout, "0123456789");
        assert_eq!(r.peek().stdout.to_text(), "6789");
        assert!(r.overflowed() && r.size() == 4);
    }

    #[test]
    fn bytes_are_evicted_exactly() {
        let mut r = RingBuffer::with_encoding(4, true);
        r.push(StreamKind::Stdout, Data::Bytes(vec![0xff, 0xfe, 0xe2]));
        r.push(StreamKind::Stdout, Data::Bytes(vec![0x82, 0xac]));
        assert_eq!(r.peek().stdout, Data::Bytes(vec![0xfe, 0xe2, 0x82, 0xac]));
        assert_eq!(RingBuffer::with_encoding(4, true).peek().stderr, Data::Bytes(vec![]));
    }
}
