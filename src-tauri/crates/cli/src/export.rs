//! `hookscope-cli export` and `import`: deliveries as HAR, curl or JSON, and HAR files back.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use hookscope_core::capture::DEFAULT_MAX_BODY;
use hookscope_core::export::{self, ExportFormat, ImportOptions};
use hookscope_core::plural::count;
use hookscope_core::store::DEFAULT_RETENTION;

use crate::{DataDir, UsageError, term};

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
    /// Largest body stored; a larger one is recorded without it, as the listener does
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_BODY)]
    max_body: u64,
    /// Keep at most this many deliveries once the import is in (oldest pruned)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RETENTION)]
    retention: u64,
}

/// Notes printed one per line; past this many, a count.
const MAX_NOTES_SHOWN: usize = 20;

pub fn run_export(args: ExportArgs) -> Result<()> {
    let store = args.data.open()?;
    let text = export::export(&store, &args.ids, args.format)?;
    match &args.out {
        Some(path) => {
            hookscope_core::paths::write_private_file(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let what = if args.ids.is_empty() {
                "every delivery".to_owned()
            } else {
                count(args.ids.len() as u64, "delivery", "deliveries")
            };
            eprintln!("exported {what} to {}", path.display());
        }
        None => {
            let mut out = term::raw_stdout();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}

pub fn run_import(args: ImportArgs) -> Result<()> {
    let name = args.file.display().to_string();
    let file = std::fs::File::open(&args.file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", term::line(&name))))?;
    let registry = args.data.registry()?;
    let source = args.file.file_name().map(|n| n.to_string_lossy().into_owned());
    let options = ImportOptions { max_body: args.max_body, retention: args.retention };
    let report =
        export::import_har_from(&registry, file, source.as_deref().unwrap_or("HAR file"), &options)
            .map_err(|e| match e {
                export::ExportError::Har(e) => UsageError(format!(
                    "{}: {}; nothing was imported",
                    term::line(&name),
                    term::line(&e.to_string())
                ))
                .into(),
                other => anyhow::Error::from(other).context("nothing was imported"),
            })?;
    let mut out = term::stdout();
    let ids = match (report.ids.first(), report.ids.last()) {
        (Some(first), Some(last)) if first == last => format!(" as #{first}"),
        (Some(first), Some(last)) => format!(" as #{first}..#{last}"),
        _ => String::new(),
    };
    write!(out, "imported {}{ids}", count(report.imported, "delivery", "deliveries"))?;
    if report.skipped > 0 {
        // The notes below name each one and its scheme.
        let were = if report.skipped == 1 { "was" } else { "were" };
        write!(
            out,
            "; skipped {} that {were} no request Hookscope could have received",
            count(report.skipped, "entry", "entries")
        )?;
    }
    if report.pruned > 0 {
        write!(
            out,
            "; pruned {} to keep the newest {}",
            count(report.pruned, "older one", "older ones"),
            report.retention
        )?;
    }
    writeln!(out)?;
    for note in report.notes.iter().take(MAX_NOTES_SHOWN) {
        let id = note.id.map(|id| format!(" (#{id})")).unwrap_or_default();
        writeln!(out, "log.entries[{}]{id}: {}", note.index, term::line(&note.message))?;
    }
    if report.notes.len() > MAX_NOTES_SHOWN {
        let more = report.notes.len() - MAX_NOTES_SHOWN;
        writeln!(out, "... and {} like these", count(more as u64, "more entry", "more entries"))?;
    }
    out.flush()?;
    Ok(())
}
