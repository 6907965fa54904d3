//! Helpers shared by the integration tests: where the example provider and terraform are,
//! children that cannot outlive a test, and output collected from pipes.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant, SystemTime};

/// The cargo workspace (the parent of the `tfplugin` crate).
pub fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tfplugin has a parent directory").to_path_buf()
}

/// Terraform v1.0.3: `$TERRAFORM`, else `<workspace>/.tools/bin/terraform`. Never skips.
pub fn terraform_binary() -> PathBuf {
    let path = std::env::var_os("TERRAFORM")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_dir().join(".tools/bin/terraform"));
    assert!(
        path.is_file(),
        "terraform not found at {} (set TERRAFORM or run `make tools` in {})",
        path.display(),
        workspace_dir().display()
    );
    path
}

/// `target/<profile>/examples/example_provider`, found from the test binary
/// (`target/<profile>/deps/<test>-<hash>`).
///
/// Plain `cargo test` builds examples; `cargo test --tests` does not. So when the binary is
/// missing or older than any source it is built from, it is built here with cargo (a no-op for
/// cargo when it is fresh), once per test binary.
pub fn example_binary() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let exe = std::env::current_exe().expect("current_exe");
        let profile_dir = exe.parent().and_then(Path::parent).expect("test binary lives in target/<profile>/deps");
        let path = profile_dir.join("examples").join("example_provider");
        if is_stale(&path) {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let mut command = Command::new(cargo);
            command.current_dir(workspace_dir()).args(["build", "-p", "tfplugin", "--example", "example_provider"]);
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                command.arg("--release");
            }
            if let Some(target_dir) = profile_dir.parent() {
                command.arg("--target-dir").arg(target_dir);
            }
            let output = command.output().expect("running cargo to build the example provider");
            assert!(
                output.status.success(),
                "building the example provider failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        assert!(path.is_file(), "the example provider is not at {}", path.display());
        path
    })
    .clone()
}

/// Missing, or older than a source file of the crate or the example.
fn is_stale(binary: &Path) -> bool {
    let Ok(built) = std::fs::metadata(binary).and_then(|m| m.modified()) else { return true };
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut newest = SystemTime::UNIX_EPOCH;
    for dir in ["src", "examples", "proto"] {
        newest_mtime(&crate_dir.join(dir), &mut newest);
    }
    newest_mtime(&crate_dir.join("Cargo.toml"), &mut newest);
    newest > built
}

fn newest_mtime(path: &Path, newest: &mut SystemTime) {
    let Ok(meta) = std::fs::metadata(path) else { return };
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
            newest_mtime(&entry.path(), newest);
        }
    } else if let Ok(modified) = meta.modified()
        && modified > *newest
    {
        *newest = modified;
    }
}

/// A child process that is killed and reaped when the guard goes away, panicking test or not.
pub struct ChildGuard {
    child: Child,
    done: Option<ExitStatus>,
}

impl ChildGuard {
    pub fn new(child: Child) -> Self {
        Self { child, done: None }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// The exit status if the child has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.done.is_none() {
            self.done = self.child.try_wait().expect("try_wait");
        }
        self.done
    }

    /// Waits up to `timeout` for the child to exit.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if self.try_wait().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Collects everything `reader` produces, in a background thread.
pub fn collect(reader: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(reader);
        let mut line = Vec::new();
        while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
            sink.lock().unwrap().push_str(&String::from_utf8_lossy(&line));
            line.clear();
        }
    });
    text
}

/// Reads `reader` to its end in a background thread.
fn read_all(mut reader: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Sends each line `reader` produces (without its newline) to the returned receiver.
pub fn lines(reader: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// What a finished command printed and how it ended.
#[derive(Debug)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `command` to completion with piped output, killing it (and failing) after `timeout`.
pub fn run_with_timeout(command: &mut Command, timeout: Duration) -> Output {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut guard = ChildGuard::new(command.spawn().unwrap_or_else(|e| panic!("starting {command:?}: {e}")));
    let stdout = read_all(guard.child_mut().stdout.take().expect("stdout"));
    let stderr = read_all(guard.child_mut().stderr.take().expect("stderr"));
    let status = guard.wait_timeout(timeout);
    // The pipes close when the child exits, unless a grandchild still holds them: wait a little.
    let finish = |handle: std::thread::JoinHandle<String>| {
        let deadline = Instant::now() + Duration::from_secs(2);
        while !handle.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if handle.is_finished() { handle.join().unwrap_or_default() } else { "<output still open>".to_string() }
    };
    let stdout = finish(stdout);
    let stderr = finish(stderr);
    let Some(status) = status else {
        panic!("{command:?} did not finish within {timeout:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    };
    Output { code: status.code(), stdout, stderr }
}

/// Pids of running processes whose argv[0] is inside `dir` (a provider terraform started).
pub fn processes_under(dir: &Path) -> Vec<u32> {
    let dir = dir.to_string_lossy().into_owned();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
        if String::from_utf8_lossy(argv0).starts_with(&dir) {
            // Zombies have an empty cmdline, so a match is a live process.
            pids.push(pid);
        }
    }
    pids
}

/// Waits up to `timeout` for every process started from `dir` to go away; panics naming them.
pub fn assert_no_processes_under(dir: &Path, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let pids = processes_under(dir);
        if pids.is_empty() {
            return;
        }
        if Instant::now() >= deadline {
            panic!("processes started from {} are still running: {pids:?}", dir.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
