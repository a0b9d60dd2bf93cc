import { useRef, useState } from 'react';

import { HEX_BYTES_PER_LINE, hexLine } from '../format/bytes';
import { formatBytesExact } from '../format/size';
import { useViewport, windowRange } from './useViewport';

const LINE_HEIGHT = 18;
const FIRST_CHUNK = 64 * 1024;

/** Offset | hex | ASCII, 16 bytes a line. Renders only the lines in view, over a growing prefix. */
export function HexView({ bytes }: { bytes: Uint8Array }) {
  const [limit, setLimit] = useState(Math.min(bytes.length, FIRST_CHUNK));
  const ref = useRef<HTMLDivElement>(null);
  const [viewport, measure] = useViewport(ref);
  const shownBytes = bytes.subarray(0, limit);
  const lineCount = Math.ceil(limit / HEX_BYTES_PER_LINE);
  const { start, end } = windowRange(viewport.top, viewport.height, LINE_HEIGHT, lineCount, 20);

  const lines = [];
  for (let i = start; i < end; i++) {
    const line = hexLine(shownBytes, i * HEX_BYTES_PER_LINE);
    lines.push(
      <div className="hex-line" key={i} style={{ transform: `translateY(${i * LINE_HEIGHT}px)` }}>
        <span className="hex-off">{line.offset}</span>
        <span className="hex-bytes">{line.hex}</span>
        <span className="hex-ascii">{line.ascii}</span>
      </div>,
    );
  }

  return (
    <div className="hex-view">
      {limit < bytes.length && (
        <div className="body-note">
          Showing first {formatBytesExact(limit)} of {formatBytesExact(bytes.length)}.
          <button type="button" className="link-btn" onClick={() => setLimit((l) => Math.min(bytes.length, l * 4))}>
            Show more
          </button>
          <button type="button" className="link-btn" onClick={() => setLimit(bytes.length)}>
            Show all
          </button>
        </div>
      )}
      <div className="hex-scroll" ref={ref} onScroll={measure} data-testid="body-hex">
        <div className="hex-canvas" style={{ height: lineCount * LINE_HEIGHT }}>
          {lines}
        </div>
      </div>
    </div>
  );
}
