//! The ring buffer of a detached process: the most recent output, at most
//! `capacity` bytes of stdout and stderr together, in arrival order. The
//! oldest text is evicted first, and only at character boundaries, so what
//! is read is always valid UTF-8.

use std::collections::VecDeque;

use super::output::StreamKind;

/// Default capacity: 1 MiB per process.
pub const DEFAULT_CAPACITY: usize = 1 << 20;

/// What `read()`/`peek()` return.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BufferSnapshot {
    pub stdout: String,
    pub stderr: String,
}

/// Decoded text segments under a byte cap.
#[derive(Debug)]
pub struct RingBuffer {
    segments: VecDeque<(StreamKind, String)>,
    size: usize,
    capacity: usize,
    overflowed: bool,
}

impl RingBuffer {
    pub fn new(capacity: usize) -> Self {
        RingBuffer {
            segments: VecDeque::new(),
            size: 0,
            capacity,
            overflowed: false,
        }
    }

    /// Appends text, evicting the oldest text beyond the capacity.
    pub fn push(&mut self, kind: StreamKind, mut text: String) {
        if text.is_empty() {
            return;
        }
        if text.len() > self.capacity {
            // Only the newest `capacity` bytes of this text can stay.
            let cut = ceil_char_boundary(&text, text.len() - self.capacity);
            text.drain(..cut);
            self.segments.clear();
            self.size = 0;
            self.overflowed = true;
        }
        self.size += text.len();
        match self.segments.back_mut() {
            Some((k, last)) if *k == kind => last.push_str(&text),
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
                let cut = ceil_char_boundary(front, excess);
                front.drain(..cut);
                self.size -= cut;
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
        let mut snap = BufferSnapshot::default();
        for (kind, text) in &self.segments {
            match kind {
                StreamKind::Stdout => snap.stdout.push_str(text),
                StreamKind::Stderr => snap.stderr.push_str(text),
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

/// The smallest char boundary at or after `i`.
fn ceil_char_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i.min(s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_per_stream_and_peek_does_not_consume() {
        let mut r = RingBuffer::new(100);
        r.push(StreamKind::Stdout, "a".into());
        r.push(StreamKind::Stderr, "x".into());
        r.push(StreamKind::Stdout, "b".into());
        let snap = r.peek();
        assert_eq!((snap.stdout.as_str(), snap.stderr.as_str()), ("ab", "x"));
        assert_eq!(r.peek(), snap);
        assert_eq!(r.read(), snap);
        assert_eq!(r.read(), BufferSnapshot::default());
        assert_eq!(r.size(), 0);
        assert!(!r.overflowed());
    }

    #[test]
    fn evicts_the_oldest_bytes_at_character_boundaries() {
        let mut r = RingBuffer::new(10);
        r.push(StreamKind::Stdout, "€€€".into()); // 9 bytes
        r.push(StreamKind::Stderr, "ab".into()); // 11 bytes: one € must go
        assert!(r.overflowed());
        assert!(r.size() <= 10);
        let snap = r.peek();
        assert_eq!((snap.stdout.as_str(), snap.stderr.as_str()), ("€€", "ab"));
    }

    #[test]
    fn a_push_larger_than_the_capacity_keeps_its_newest_part() {
        let mut r = RingBuffer::new(4);
        r.push(StreamKind::Stdout, "old".into());
        r.push(StreamKind::Stdout, "0123456789".into());
        assert_eq!(r.peek().stdout, "6789");
        assert!(r.overflowed() && r.size() == 4);
    }
}
