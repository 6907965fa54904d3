//! Per-RPC timing for finding where a provider's time goes: with `TFPLUGIN_PROFILE=<file>` set,
//! every resource RPC appends one JSON line to the file (RPC, type, and microseconds spent
//! decoding the request, in the provider's handler, and encoding the answer). Off, it costs one
//! check of a cached flag per RPC. bench/profile.py sums the lines.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// The environment variable naming the file to append to.
pub const PROFILE_ENV: &str = "TFPLUGIN_PROFILE";

fn sink() -> Option<&'static Mutex<File>> {
    static SINK: OnceLock<Option<Mutex<File>>> = OnceLock::new();
    SINK.get_or_init(|| {
        let path = std::env::var_os(PROFILE_ENV)?;
        OpenOptions::new().create(true).append(true).open(path).ok().map(Mutex::new)
    })
    .as_ref()
}

/// The phases of one RPC, marked as they end; written when dropped.
pub struct Span {
    rpc: &'static str,
    type_name: String,
    start: Instant,
    last: Instant,
    phases: Vec<(&'static str, u128)>,
}

impl Span {
    /// A span for `rpc` of `type_name`, or `None` when profiling is off.
    pub fn start(rpc: &'static str, type_name: &str) -> Option<Self> {
        sink()?;
        let now = Instant::now();
        Some(Self { rpc, type_name: type_name.to_string(), start: now, last: now, phases: Vec::with_capacity(4) })
    }

    /// Ends the phase `name` (the time since the previous mark).
    pub fn mark(&mut self, name: &'static str) {
        let now = Instant::now();
        self.phases.push((name, now.duration_since(self.last).as_micros()));
        self.last = now;
    }
}

/// Marks a phase on an optional span.
pub fn mark(span: &mut Option<Span>, name: &'static str) {
    if let Some(span) = span {
        span.mark(name);
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        let Some(sink) = sink() else { return };
        let mut line = format!("{{\"rpc\":\"{}\",\"type\":{:?},\"total_us\":{}", self.rpc, self.type_name, self.start.elapsed().as_micros());
        for (name, micros) in &self.phases {
            line.push_str(&format!(",\"{name}_us\":{micros}"));
        }
        line.push_str("}\n");
        if let Ok(mut file) = sink.lock() {
            let _ = file.write_all(line.as_bytes());
        }
    }
}
