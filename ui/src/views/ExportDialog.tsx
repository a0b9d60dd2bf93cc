import { useState } from 'react';

import { ApiError, backendKind } from '../api';
import { type ExportFormat, exportDeliveries, exportDeliveriesToFile, importHar, importHarFile } from '../api/lab';
import { copyText } from '../components/clipboard';
import { downloadText } from '../components/download';
import { exportExtension, exportFileName, exportMediaType } from '../format/exportFile';
import { describeImport } from '../format/importReport';
import { Modal } from '../components/Modal';
import { useStore } from '../state/store';
import './lab.css';

/**
 * Export the marked, the selected or every delivery (HAR, curl, JSON) to a file or the clipboard; import HAR.
 * The desktop names paths on its own machine; a browser downloads and uploads files instead.
 */
export function ExportDialog({ onClose }: { onClose: () => void }) {
  const { state } = useStore();
  const [inBrowser] = useState(() => backendKind() === 'http');
  const selected = state.selectedId;
  const marked = state.marked;
  const [scope, setScope] = useState<'all' | 'selected' | 'marked'>(
    marked.length > 0 ? 'marked' : selected !== null ? 'selected' : 'all',
  );
  const [format, setFormat] = useState<ExportFormat>('har');
  const [path, setPath] = useState('');
  const [importPath, setImportPath] = useState('');
  const [importFile, setImportFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<{ kind: 'ok' | 'err'; text: string } | null>(null);
  const [manual, setManual] = useState<string | null>(null);

  const ids = scope === 'marked' ? marked : scope === 'selected' && selected !== null ? [selected] : [];
  const what = ids.length === 0 ? 'every delivery' : ids.length === 1 ? `delivery #${ids[0]}` : `${ids.length} deliveries`;

  const run = async (action: () => Promise<string>) => {
    setBusy(true);
    setNote(null);
    setManual(null);
    try {
      setNote({ kind: 'ok', text: await action() });
    } catch (err) {
      setNote({ kind: 'err', text: ApiError.from(err).message });
    } finally {
      setBusy(false);
    }
  };

  const saveFile = () =>
    run(async () => {
      const target = path.trim();
      if (target === '') throw new ApiError('invalid', 'Type the path of the file to write.');
      const bytes = await exportDeliveriesToFile(ids, format, target);
      return `Wrote ${what} to ${target} (${bytes.toLocaleString('en-US')} bytes).`;
    });

  const download = () =>
    run(async () => {
      const text = await exportDeliveries(ids, format);
      const name = exportFileName(format);
      const bytes = downloadText(text, name, exportMediaType(format));
      return `Downloaded ${what} as ${name} (${bytes.toLocaleString('en-US')} bytes).`;
    });

  const copy = () =>
    run(async () => {
      const text = await exportDeliveries(ids, format);
      try {
        await copyText(text);
        return `Copied ${what} as ${format.toUpperCase()}.`;
      } catch {
        setManual(text);
        return 'The clipboard refused; select the text below and copy it.';
      }
    });

  const runImport = () =>
    run(async () => {
      if (inBrowser) {
        if (importFile === null) throw new ApiError('invalid', 'Choose a HAR file.');
        const bytes = new Uint8Array(await importFile.arrayBuffer());
        return describeImport(await importHar(importFile.name, bytes));
      }
      const target = importPath.trim();
      if (target === '') throw new ApiError('invalid', 'Type the path of a HAR file.');
      const report = await importHarFile(target);
      return describeImport(report);
    });

  return (
    <Modal title="Export and import" className="export-dialog" testId="export-dialog" onClose={onClose}>
          <section className="lab-section" aria-label="Export">
            <header className="lab-head">
              <h3>Export</h3>
              <span className="lab-current">Endpoint secrets and API keys are never included.</span>
            </header>
            <div className="export-row">
              <label className="lab-check">
                <input type="radio" name="export-scope" data-testid="export-scope-all" checked={scope === 'all'} onChange={() => setScope('all')} />
                All deliveries
              </label>
              <label className="lab-check">
                <input
                  type="radio"
                  name="export-scope"
                  data-testid="export-scope-selected"
                  disabled={selected === null}
                  checked={scope === 'selected'}
                  onChange={() => setScope('selected')}
                />
                Selected {selected !== null ? `(#${selected})` : '(none)'}
              </label>
              <label className="lab-check" title="Ctrl+click or Shift+click rows (or press x) to mark them">
                <input
                  type="radio"
                  name="export-scope"
                  data-testid="export-scope-marked"
                  disabled={marked.length === 0}
                  checked={scope === 'marked'}
                  onChange={() => setScope('marked')}
                />
                Marked ({marked.length})
              </label>
              <select data-testid="export-format-select" value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)} aria-label="Format">
                <option value="har">HAR 1.2</option>
                <option value="curl">curl commands</option>
                <option value="json">JSON</option>
              </select>
            </div>
            {!inBrowser && (
              <label className="field wide">
                <span className="field-label">File</span>
                <input
                  className="mono"
                  data-testid="export-path-input"
                  value={path}
                  placeholder={`/home/me/hookscope.${exportExtension(format)}`}
                  onChange={(e) => setPath(e.target.value)}
                  spellCheck={false}
                  autoComplete="off"
                />
              </label>
            )}
            <div className="export-row">
              {inBrowser ? (
                <button
                  type="button"
                  className="btn btn-primary"
                  id="export-download"
                  data-testid="export-download"
                  title={`Save as ${exportFileName(format)} in your downloads`}
                  disabled={busy}
                  onClick={() => void download()}
                >
                  Download
                </button>
              ) : (
                <button type="button" className="btn btn-primary" data-testid="export-save-button" disabled={busy} onClick={() => void saveFile()}>
                  Save to file
                </button>
              )}
              <button type="button" className="btn btn-ghost" data-testid="export-copy-button" disabled={busy} onClick={() => void copy()}>
                Copy to clipboard
              </button>
            </div>
          </section>
          <section className="lab-section" aria-label="Import">
            <header className="lab-head">
              <h3>Import HAR</h3>
              <span className="lab-current">Requests become deliveries, analysed like captures and marked imported.</span>
            </header>
            <label className="field wide">
              <span className="field-label">HAR file</span>
              {inBrowser ? (
                <input
                  type="file"
                  className="import-file"
                  id="import-file"
                  data-testid="import-file"
                  accept=".har,.json,application/json"
                  onChange={(e) => setImportFile(e.target.files?.[0] ?? null)}
                />
              ) : (
                <input
                  className="mono"
                  data-testid="import-path-input"
                  value={importPath}
                  placeholder="/home/me/capture.har"
                  onChange={(e) => setImportPath(e.target.value)}
                  spellCheck={false}
                  autoComplete="off"
                />
              )}
            </label>
            <div className="export-row">
              <button type="button" className="btn btn-ghost" data-testid="import-button" disabled={busy} onClick={() => void runImport()}>
                Import
              </button>
            </div>
          </section>
          {note && (
            <p className={`lab-note ${note.kind}`} role={note.kind === 'err' ? 'alert' : 'status'} data-testid="export-status">
              {note.text}
            </p>
          )}
          {manual !== null && <textarea className="mono" readOnly value={manual} data-testid="export-manual" aria-label="Export text to copy" />}
    </Modal>
  );
}
