//! terraform-provider-autoscale: serves the plugin protocol; with `docs` writes the registry docs,
//! with `iam-policy` prints the least-privilege IAM policy for the provider.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("iam-policy") {
        print!("{}", autoscale::aws::actions::policy_json());
        return ExitCode::SUCCESS;
    }
    if args.first().map(String::as_str) == Some("docs") {
        let out = args.get(1).map_or_else(|| std::path::PathBuf::from("docs"), std::path::PathBuf::from);
        return match autoscale::docs::write_docs(&out) {
            Ok(written) => {
                eprintln!("wrote {written} files under {}", out.display());
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("writing docs: {err:#}");
                ExitCode::FAILURE
            }
        };
    }
    tfplugin::server::serve_main(autoscale::provider::AutoscaleProvider::new(), autoscale::PROVIDER_ADDRESS)
}
