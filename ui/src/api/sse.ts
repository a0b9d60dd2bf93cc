/**
 * A `text/event-stream` parser (the HTML "server-sent events" rules) for streams read with fetch:
 * EventSource cannot send the Authorization header, so the browser backend parses the bytes itself.
 */

export interface SseEvent {
  /** `message` when the stream named none. */
  event: string;
  /** The data lines joined with `\n`. */
  data: string;
}

export interface SseHandlers {
  event: (event: SseEvent) => void;
  /** A comment line's text without the colon and one leading space (`: ready` gives `ready`). */
  comment?: (text: string) => void;
}

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  /** The last chunk ended in CR: a LF starting the next one belongs to that line end. */
  private pendingCr = false;
  private atStart = true;
  private eventName = '';
  private data: string[] = [];

  constructor(private readonly handlers: SseHandlers) {}

  /** Feeds a chunk; bytes may split a character, a line or a CRLF anywhere. */
  push(chunk: Uint8Array | string): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (text === '') return;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (text.startsWith('\n')) text = text.slice(1);
    }
    if (this.atStart && text !== '') {
      this.atStart = false;
      if (text.startsWith('\uFEFF')) text = text.slice(1);
    }
    this.buffer += text;
    let start = 0;
    for (;;) {
      const cr = this.buffer.indexOf('\r', start);
      const lf = this.buffer.indexOf('\n', start);
      if (cr < 0 && lf < 0) break;
      const end = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      const line = this.buffer.slice(start, end);
      if (this.buffer[end] === '\r') {
        if (end + 1 === this.buffer.length) {
          this.pendingCr = true;
          start = end + 1;
        } else {
          start = this.buffer[end + 1] === '\n' ? end + 2 : end + 1;
        }
      } else {
        start = end + 1;
      }
      this.line(line);
    }
    this.buffer = this.buffer.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) {
      const text = line.slice(1);
      this.handlers.comment?.(text.startsWith(' ') ? text.slice(1) : text);
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventName = value;
    else if (field === 'data') this.data.push(value);
    // `id` and `retry` are left out: the stream is never resumed by id and the backoff is the client's.
  }

  private dispatch(): void {
    const name = this.eventName;
    const data = this.data;
    this.eventName = '';
    this.data = [];
    // An event with no data line is not dispatched, as in EventSource.
    if (data.length === 0) return;
    this.handlers.event({ event: name === '' ? 'message' : name, data: data.join('\n') });
  }
}
