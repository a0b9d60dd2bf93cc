import type { ImportReport } from '../bindings/ImportReport';

const count = (n: number, one: string, many: string): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** Notes shown after an import; the rest are counted, so a file of thousands stays one line. */
const NOTES_SHOWN = 3;

/** One paragraph on an import: how many came in, how many were pruned, and what the file lacked. */
export function describeImport(report: ImportReport): string {
  let text = `Imported ${count(report.imported, 'delivery', 'deliveries')} (marked imported)`;
  if (report.skipped > 0) {
    const were = report.skipped === 1 ? 'was' : 'were';
    text += `; skipped ${count(report.skipped, 'entry', 'entries')} that ${were} no request Hookscope could have received`;
  }
  text += '.';
  if (report.pruned > 0) {
    text += ` Pruned ${count(report.pruned, 'older one', 'older ones')} to keep the newest ${report.retention.toLocaleString('en-US')}.`;
  }
  const shown = report.notes.slice(0, NOTES_SHOWN).map((n) => `entry ${n.index}: ${n.message}`);
  if (shown.length > 0) {
    text += ` ${shown.join('; ')}`;
    const more = report.notes.length - shown.length;
    if (more > 0) text += `; and ${count(more, 'more note', 'more notes')}`;
    text += '.';
  }
  return text;
}
