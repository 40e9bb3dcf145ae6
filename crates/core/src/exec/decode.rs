//! Incremental UTF-8 decoding: bytes arrive in frames that may split a
//! multi-byte character; the decoder holds the incomplete tail until the rest
//! arrives, so no character is ever corrupted at a frame boundary.

/// Decodes one byte stream (stdout or stderr) chunk by chunk.
#[derive(Debug, Default)]
pub struct Utf8Decoder {
    /// At most 3 bytes: the start of a character whose rest has not arrived.
    pending: Vec<u8>,
}

impl Utf8Decoder {
    /// Decodes `bytes` after whatever was pending; invalid sequences become
    /// U+FFFD, an incomplete character at the end is kept for the next call.
    pub fn decode(&mut self, bytes: &[u8]) -> String {
        // Fast path, nearly always taken: nothing pending and the chunk is
        // valid UTF-8 by itself — one copy, no second pass.
        if self.pending.is_empty() {
            if let Ok(text) = std::str::from_utf8(bytes) {
                return text.to_owned();
            }
        }
        let mut buf = std::mem::take(&mut self.pending);
        buf.extend_from_slice(bytes);
        let mut out = String::with_capacity(buf.len());
        let mut rest = &buf[..];
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    break;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    // SAFETY-free: `valid` was just checked by from_utf8.
                    out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        Some(n) => {
                            out.push('\u{fffd}');
                            rest = &after[n..];
                        }
                        None => {
                            self.pending = after.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        out
    }

    /// Ends the stream: a character still incomplete becomes U+FFFD.
    pub fn finish(&mut self) -> String {
        if self.pending.is_empty() {
            String::new()
        } else {
            self.pending.clear();
            "\u{fffd}".into()
        }
    }
}

/// A piece of output as it is handed on: text (the default) or bytes
/// (`encoding: 'buffer'`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    Text(String),
    Bytes(Vec<u8>),
}

impl Data {
    /// Empty data of the kind `binary` says.
    pub fn empty(binary: bool) -> Data {
        if binary {
            Data::Bytes(Vec::new())
        } else {
            Data::Text(String::new())
        }
    }

    /// Its size in bytes.
    pub fn len(&self) -> usize {
        match self {
            Data::Text(t) => t.len(),
            Data::Bytes(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `other` (of the same kind: one command's output is all text or
    /// all bytes).
    pub fn append(&mut self, other: &Data) {
        match (self, other) {
            (Data::Text(a), Data::Text(b)) => a.push_str(b),
            (Data::Bytes(a), Data::Bytes(b)) => a.extend_from_slice(b),
            (Data::Text(a), Data::Bytes(b)) => a.push_str(&String::from_utf8_lossy(b)),
            (Data::Bytes(a), Data::Text(b)) => a.extend_from_slice(b.as_bytes()),
        }
    }

    /// Drops the first `n` bytes (rounded up to a character boundary for
    /// text); returns how many were dropped.
    pub fn drain_front(&mut self, n: usize) -> usize {
        match self {
            Data::Text(t) => {
                let mut cut = n.min(t.len());
                while cut < t.len() && !t.is_char_boundary(cut) {
                    cut += 1;
                }
                t.drain(..cut);
                cut
            }
            Data::Bytes(b) => {
                let cut = n.min(b.len());
                b.drain(..cut);
                cut
            }
        }
    }

    /// The text, or the bytes decoded (invalid sequences become U+FFFD).
    pub fn to_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Data::Text(t) => std::borrow::Cow::Borrowed(t),
            Data::Bytes(b) => String::from_utf8_lossy(b),
        }
    }
}

/// Turns one stream's frames into [`Data`]: decoded text across frame
/// boundaries, or the bytes as they came.
#[derive(Debug)]
pub enum Decoder {
    Text(Utf8Decoder),
    Bytes,
}

impl Decoder {
    pub fn new(binary: bool) -> Decoder {
        if binary {
            Decoder::Bytes
        } else {
            Decoder::Text(Utf8Decoder::default())
        }
    }

    pub fn decode(&mut self, bytes: &[u8]) -> Data {
        match self {
            Decoder::Text(d) => Data::Text(d.decode(bytes)),
            Decoder::Bytes => Data::Bytes(bytes.to_vec()),
        }
    }

    /// What is left at the end of the stream (an incomplete character).
    pub fn finish(&mut self) -> Data {
        match self {
            Decoder::Text(d) => Data::Text(d.finish()),
            Decoder::Bytes => Data::Bytes(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_characters_are_joined_across_chunks() {
        let text = "aé€😀z";
        for split in 0..text.len() {
            let mut d = Utf8Decoder::default();
            let (a, b) = text.as_bytes().split_at(split);
            let out = d.decode(a) + &d.decode(b) + &d.finish();
            assert_eq!(out, text, "split at {split}");
        }
    }

    #[test]
    fn invalid_bytes_are_replaced_and_decoding_goes_on() {
        let mut d = Utf8Decoder::default();
        assert_eq!(d.decode(&[b'a', 0xff, b'b']), "a\u{fffd}b");
        assert_eq!(d.decode(&[0xe2, 0x82]), "");
        assert_eq!(d.finish(), "\u{fffd}");
    }
}
