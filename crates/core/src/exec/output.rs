//! Collecting a command's output under a cap, and decoding it as UTF-8.
//!
//! The cap is enforced while reading: bytes past it are counted and dropped, so
//! a command that prints gigabytes costs at most `max_output` bytes of memory
//! and never blocks (the reader keeps draining the engine's stream).

/// Which output stream a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Stdout,
    Stderr,
}

/// Keeps at most `cap` bytes of stdout and stderr together, in arrival order.
#[derive(Debug)]
pub struct OutputCollector {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    cap: usize,
    truncated: bool,
    /// Per stream: whether the cap dropped any of its bytes (then a
    /// character cut at its end is the cap's doing, not the command's).
    cut: [bool; 2],
}

impl OutputCollector {
    pub fn new(cap: usize) -> Self {
        OutputCollector {
            stdout: Vec::new(),
            stderr: Vec::new(),
            cap,
            truncated: false,
            cut: [false; 2],
        }
    }

    /// Adds a chunk, keeping what fits under the cap and dropping the rest.
    pub fn push(&mut self, kind: StreamKind, bytes: &[u8]) {
        let room = self.cap.saturating_sub(self.stdout.len() + self.stderr.len());
        let keep = bytes.len().min(room);
        if keep < bytes.len() {
            self.truncated = true;
            self.cut[kind as usize] = true;
        }
        let target = match kind {
            StreamKind::Stdout => &mut self.stdout,
            StreamKind::Stderr => &mut self.stderr,
        };
        target.extend_from_slice(&bytes[..keep]);
    }

    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The collected stdout and stderr, byte for byte.
    pub fn finish_bytes(self) -> (Vec<u8>, Vec<u8>) {
        (self.stdout, self.stderr)
    }

    /// The collected stdout and stderr as text.
    pub fn finish(self) -> (String, String) {
        let [out_cut, err_cut] = self.cut;
        (decode_output(self.stdout, out_cut), decode_output(self.stderr, err_cut))
    }
}

/// Decodes UTF-8, replacing invalid sequences with U+FFFD. A multi-byte
/// character cut off at the very end (by the output cap) is dropped rather than
/// shown as a replacement character.
pub fn decode_utf8(bytes: Vec<u8>) -> String {
    decode_output(bytes, true)
}

/// Decodes a command's output as [`decode_utf8`] does, except that an
/// incomplete character at the very end is dropped only if the cap `cut` the
/// stream there; one the command itself left incomplete becomes U+FFFD, as
/// everywhere else.
pub fn decode_output(mut bytes: Vec<u8>, cut: bool) -> String {
    if let Err(e) = std::str::from_utf8(&bytes) {
        if cut && e.error_len().is_none() {
            // Only an incomplete sequence at the end: cut it, then the rest may
            // still hold invalid bytes that the lossy pass below replaces.
            let tail_start = last_char_start(&bytes);
            bytes.truncate(tail_start);
        }
    }
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Index where the last (possibly incomplete) character starts.
fn last_char_start(bytes: &[u8]) -> usize {
    let mut i = bytes.len();
    while i > 0 && bytes.len() - i < 4 {
        i -= 1;
        if bytes[i] & 0b1100_0000 != 0b1000_0000 {
            return i;
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_is_shared_by_both_streams_and_marks_truncation() {
        let mut c = OutputCollector::new(5);
        c.push(StreamKind::Stdout, b"abc");
        c.push(StreamKind::Stderr, b"defgh");
        c.push(StreamKind::Stdout, b"ij");
        assert!(c.truncated());
        assert_eq!(c.finish(), ("abc".to_string(), "de".to_string()));
    }

    #[test]
    fn characters_split_across_chunks_stay_intact() {
        let text = "héllo wörld €";
        let mut c = OutputCollector::new(1 << 20);
        for b in text.as_bytes() {
            c.push(StreamKind::Stdout, std::slice::from_ref(b));
        }
        assert_eq!(c.finish().0, text);
    }

    #[test]
    fn a_character_cut_by_the_cap_is_dropped_not_garbled() {
        let mut c = OutputCollector::new(4);
        c.push(StreamKind::Stdout, "ab€".as_bytes()); // € is 3 bytes: only 2 fit
        assert_eq!(c.finish().0, "ab");
    }

    #[test]
    fn a_character_the_command_left_incomplete_is_a_replacement_character() {
        let mut c = OutputCollector::new(1 << 20);
        c.push(StreamKind::Stdout, b"a\xe2\x82");
        c.push(StreamKind::Stderr, b"b\xe2");
        assert_eq!(c.finish(), ("a\u{fffd}".to_string(), "b\u{fffd}".to_string()));
        // The cap cut stdout only: stderr's own incomplete end stays visible.
        let mut c = OutputCollector::new(4);
        c.push(StreamKind::Stderr, b"\xe2");
        c.push(StreamKind::Stdout, "a€".as_bytes());
        assert_eq!(c.finish(), ("a".to_string(), "\u{fffd}".to_string()));
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        assert_eq!(decode_utf8(vec![b'a', 0xff, b'b']), "a\u{fffd}b");
    }
}
