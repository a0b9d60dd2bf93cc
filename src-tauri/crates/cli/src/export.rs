//! `hookscope-cli export` and `import`: deliveries as HAR, curl or JSON, and HAR files back.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use hookscope_core::export::{self, ExportFormat};

use crate::{DataDir, UsageError};

#[derive(clap::Args)]
pub struct ExportArgs {
    /// Delivery ids [default: every delivery]
    ids: Vec<i64>,
    #[command(flatten)]
    data: DataDir,
    /// har, curl or json
    #[arg(long, default_value = "har")]
    format: ExportFormat,
    /// Write to this file instead of standard output
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// A HAR file (from `export --format har`, a browser or another tool)
    file: PathBuf,
    #[command(flatten)]
    data: DataDir,
}

pub fn run_export(args: ExportArgs) -> Result<()> {
    let store = args.data.open()?;
    let text = export::export(&store, &args.ids, args.format)?;
    match &args.out {
        Some(path) => {
            hookscope_core::paths::write_private_file(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let count =
                if args.ids.is_empty() { "every".to_owned() } else { args.ids.len().to_string() };
            eprintln!("exported {count} deliveries to {}", path.display());
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}

pub fn run_import(args: ImportArgs) -> Result<()> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", args.file.display())))?;
    let registry = args.data.registry()?;
    let source = args.file.file_name().map(|n| n.to_string_lossy().into_owned());
    let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
    let report = runtime
        .block_on(export::import_har(&registry, &bytes, source.as_deref().unwrap_or("HAR file")))
        .map_err(|e| match e {
            export::ExportError::Har(e) => {
                UsageError(format!("{}: {e}", args.file.display())).into()
            }
            other => anyhow::Error::from(other),
        })?;
    let ids: Vec<String> = report.ids.iter().map(i64::to_string).collect();
    println!("imported {} deliveries: {}", report.ids.len(), ids.join(" "));
    Ok(())
}
