//! Acceptance-test harness: temp workspaces, the emulator and terraform runs.
