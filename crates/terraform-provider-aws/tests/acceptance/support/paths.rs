//! Where things are: the Terraform CLI, the provider binary under test, the repository.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The Terraform CLI: $TERRAFORM, else `terraform` on PATH, else the one `make tools` bundles.
pub fn terraform_bin() -> PathBuf {
    if let Ok(t) = std::env::var("TERRAFORM") {
        return PathBuf::from(t);
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join("terraform");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    repo_root().join(".tools/bin/terraform")
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-aws"))
}

/// A directory holding only the provider binary, for `dev_overrides`. Pointing Terraform at
/// target/debug itself is unreliable: it may pick `terraform-provider-aws.d` (cargo's dep-info
/// file) and fail with "permission denied". A hard link also keeps this test process on the
/// binary it was built with while another build replaces target/debug's copy.
pub fn provider_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        remove_dead_runs_dirs(tmp);
        let dir = tmp.join(format!("provider-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("provider dir");
        let dest = dir.join("terraform-provider-aws");
        if std::fs::hard_link(provider_binary(), &dest).is_err() {
            std::fs::copy(provider_binary(), &dest).expect("copy provider binary");
        }
        dir
    })
    .clone()
}

/// Earlier runs' provider dirs, whose process is gone. Once a rebuild replaces target/debug's
/// binary, each one holds the only link to an old ~100 MB binary: left alone they fill the disk.
fn remove_dead_runs_dirs(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("provider-")) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
