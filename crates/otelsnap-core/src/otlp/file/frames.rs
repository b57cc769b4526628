//! Length-prefixed messages, as the Collector's file exporter writes them with `format: proto`,
//! or with `compression: zstd` in either format.
//!
//! The exporter (`exportMessageAsBuffer`) writes each marshalled message after its length as
//! a 4-byte big-endian unsigned integer. With `compression: zstd` and its native-compression
//! feature gate off (the default), each message is zstd-compressed on its own (`EncodeAll`)
//! before it is framed, so the length counts compressed bytes and the payload is one zstd
//! frame; this holds for `format: json` too (JSON with compression is framed, not written as
//! lines). With the gate on, the whole file is one zstd stream instead, read by `mod.rs`,
//! and the frames inside it hold plain messages.
//!
//! A frame is located by the byte offset of its length prefix. A length over `--max-body` can
//! only be a corrupt prefix (or a limit set too low): nothing after it can be trusted to be a
//! frame boundary, so it is counted and the rest of the file skipped; reading a frame never
//! allocates more than the bytes the file actually holds.

use std::io::{self, Read};

use super::{At, FileError, FileFormat, Reading, ZSTD_MAGIC, json, read_exact_or_eof};
use super::{Compression, ProtoError, decode_protobuf};
use crate::session::Signal;

impl Reading<'_, '_> {
    /// Reads length-prefixed messages to the end of `r`.
    pub(super) fn frames(&mut self, r: &mut impl Read) -> Result<(), FileError> {
        self.report.format = FileFormat::ProtobufDelimited;
        let limit = self.opts.max_body;
        // The signal of the file's last decoded message: an itemless message (which decodes
        // as any signal) takes it, since the exporter writes one pipeline's signal per file.
        let mut last_signal: Option<Signal> = self.opts.signal;
        let mut offset: u64 = 0;
        let mut buf = Vec::new();
        // Every pass consumes at least the 4-byte prefix or ends the loop, so it ends at EOF.
        loop {
            let at = At::Byte(offset);
            let mut len = [0u8; 4];
            let got = match read_exact_or_eof(r, &mut len) {
                Ok(n) => n,
                Err(e) => return self.read_failed(at, e),
            };
            match got {
                0 => break,
                4 => {}
                n => {
                    self.bad(
                        at,
                        format!("truncated length prefix ({n} of 4 bytes) at the end of the file"),
                    );
                    break;
                }
            }
            let n = u32::from_be_bytes(len) as usize;
            if n > limit {
                self.bad_over_limit(
                    at,
                    format!(
                        "message length {n} is over the body limit ({limit} bytes): a corrupt length prefix, or a message too large; the rest of the file is skipped"
                    ),
                );
                break;
            }
            buf.clear();
            // `take` + `read_to_end` grows with the bytes that arrive, not with the claimed
            // length, so a corrupt prefix near the end of a short file costs nothing.
            if let Err(e) = r.take(n as u64).read_to_end(&mut buf) {
                return self.read_failed(at, e);
            }
            if buf.len() < n {
                self.bad(
                    at,
                    format!(
                        "message of {n} bytes cut short at the end of the file ({} bytes present)",
                        buf.len()
                    ),
                );
                break;
            }
            offset += 4 + n as u64;
            let payload = if buf.starts_with(ZSTD_MAGIC) {
                if self.report.compression == Compression::None {
                    self.report.compression = Compression::ZstdPerMessage;
                }
                match unzstd(&buf, limit) {
                    Ok(Some(p)) => p,
                    Ok(None) => {
                        self.bad_over_limit(
                            at,
                            format!(
                                "message decompresses to more than the body limit ({limit} bytes); skipped"
                            ),
                        );
                        continue;
                    }
                    Err(e) => {
                        self.bad(at, format!("zstd message does not decompress: {e}"));
                        continue;
                    }
                }
            } else {
                std::mem::take(&mut buf)
            };
            let text = payload.trim_ascii_start();
            if text.first() == Some(&b'{') {
                match json::decode_any(text) {
                    Ok(req) => {
                        last_signal = Some(req.signal());
                        self.deliver(req)?;
                    }
                    Err(e) => self.bad(at, e.to_string()),
                }
                continue;
            }
            let decoded = match decode_protobuf(&payload, self.opts.signal) {
                Err(ProtoError::Ambiguous) => match last_signal {
                    Some(s) => decode_protobuf(&payload, Some(s)),
                    None => Err(ProtoError::Ambiguous),
                },
                other => other,
            };
            match decoded {
                Ok(req) => {
                    last_signal = Some(req.signal());
                    self.deliver(req)?;
                }
                Err(ProtoError::Ambiguous) => {
                    return Err(FileError::Ambiguous {
                        path: self.name.to_string(),
                    });
                }
                Err(ProtoError::Invalid(reason)) => self.bad(at, reason),
            }
        }
        Ok(())
    }
}

/// Decompresses one zstd-compressed message; `None` when it is over `limit` bytes (read no
/// further than that, so a bomb costs at most the limit).
fn unzstd(frame: &[u8], limit: usize) -> io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    zstd::stream::read::Decoder::new(frame)?
        .take(limit as u64 + 1)
        .read_to_end(&mut out)?;
    Ok((out.len() <= limit).then_some(out))
}
