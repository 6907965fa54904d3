//! Checks of the harness itself and of the provider block: the emulator answers, terraform runs
//! the built provider, and provider arguments are validated with their attribute path.

use acceptance::{Workspace, emulator};

#[test]
fn emulator_is_healthy() {
    let (status, body) = emulator().control("GET", "/_emulator/health", None);
    assert_eq!(status, 200);
    assert_eq!(body.trim(), "ok");
}

#[test]
fn empty_configuration_applies_with_the_built_provider() {
    let ws = Workspace::new("");
    let out = ws.apply();
    assert!(out.text().contains("Apply complete"), "{}", out.text());
    ws.assert_no_changes();
}
