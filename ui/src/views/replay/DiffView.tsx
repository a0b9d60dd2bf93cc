import type { RequestDiff } from '../../api';

const MARK = { added: '+', removed: '−', changed: '~', same: ' ' } as const;

function show(value: unknown): string {
  return value === undefined || value === null ? String(value) : JSON.stringify(value);
}

/** Header and body differences between two requests, as text. */
export function DiffView({ diff }: { diff: RequestDiff }) {
  const empty = diff.requestLine === null && diff.headers.length === 0 && diff.body.kind === 'same';
  return (
    <div className="replay-diff" data-testid="replay-diff">
      <div className="replay-diff-title">
        <strong>{diff.a}</strong> → <strong>{diff.b}</strong>
        <span className="muted"> · Host and Content-Length are recomputed and left out</span>
      </div>
      {empty && <p className="muted">No differences.</p>}
      {diff.requestLine !== null && (
        <div className="diff-line diff-changed">
          <span className="diff-mark">~</span> <code>{diff.requestLine}</code>
        </div>
      )}
      {diff.headers.length > 0 && <h4>Headers</h4>}
      {diff.headers.map((h, i) => (
        <div key={i} className={`diff-line diff-${h.change}`} data-testid="diff-header">
          <span className="diff-mark">{MARK[h.change]}</span> <code className="diff-name">{h.name}</code>{' '}
          {h.change === 'changed' ? (
            <>
              <code className="diff-old">{h.old}</code> → <code className="diff-new">{h.new}</code>
            </>
          ) : (
            <code>{h.change === 'added' ? h.new : h.old}</code>
          )}
        </div>
      ))}
      {diff.body.kind === 'json' && (
        <>
          <h4>Body (JSON)</h4>
          {diff.body.changes.length === 0 && <p className="muted">The same JSON, formatted differently.</p>}
          {diff.body.changes.map((c, i) => (
            <div key={i} className={`diff-line diff-${c.change}`} data-testid="diff-json">
              <span className="diff-mark">{MARK[c.change]}</span> <code className="diff-name">{c.path}</code>{' '}
              {c.change === 'changed' ? (
                <>
                  <code className="diff-old">{show(c.old)}</code> → <code className="diff-new">{show(c.new)}</code>
                </>
              ) : (
                <code>{show(c.change === 'added' ? c.new : c.old)}</code>
              )}
            </div>
          ))}
        </>
      )}
      {diff.body.kind === 'text' && (
        <>
          <h4>Body (text)</h4>
          <pre className="diff-text">
            {diff.body.lines.map((l, i) => (
              <div key={i} className={`diff-${l.kind}`}>
                {MARK[l.kind]} {l.text}
              </div>
            ))}
          </pre>
        </>
      )}
      {diff.body.kind === 'same' && !empty && <p className="muted">Body: the same bytes.</p>}
    </div>
  );
}
