import { describe, expect, it } from 'vitest';

import { type SseEvent, SseParser } from './sse';

function parse(chunks: Array<string | Uint8Array>): { events: SseEvent[]; comments: string[] } {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const parser = new SseParser({ event: (e) => events.push(e), comment: (c) => comments.push(c) });
  for (const chunk of chunks) parser.push(chunk);
  return { events, comments };
}

/** Every way to cut `text` in two. */
function splits(text: string): Array<[string, string]> {
  return Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]);
}

const STREAM =
  ': ready\n\n' +
  'event: deliveries:batch\ndata: [{"id":1},\ndata: {"id":2}]\n\n' +
  ': keep-alive\n\n' +
  'event: deliveries:resync\ndata: null\n\n';

const EXPECTED = {
  events: [
    { event: 'deliveries:batch', data: '[{"id":1},\n{"id":2}]' },
    { event: 'deliveries:resync', data: 'null' },
  ],
  comments: ['ready', 'keep-alive'],
};

describe('SseParser', () => {
  it('reads named events, joins multi-line data with LF and reports comments', () => {
    expect(parse([STREAM])).toEqual(EXPECTED);
  });

  it('treats CRLF and lone CR as line ends', () => {
    expect(parse([STREAM.replace(/\n/g, '\r\n')])).toEqual(EXPECTED);
    expect(parse([STREAM.replace(/\n/g, '\r')])).toEqual(EXPECTED);
  });

  it.each([
    ['LF', STREAM],
    ['CRLF', STREAM.replace(/\n/g, '\r\n')],
    ['CR', STREAM.replace(/\n/g, '\r')],
  ])('gives the same result whatever the chunk boundary (%s)', (_name, text) => {
    for (const [a, b] of splits(text)) {
      expect(parse([a, b]), JSON.stringify([a, b])).toEqual(EXPECTED);
    }
  });

  it('survives one byte per chunk, including a character split across chunks', () => {
    const text = 'event: store:changed\r\ndata: {"name":"Zoë ✓ 🚀"}\r\n\r\n';
    const bytes = new TextEncoder().encode(text);
    const chunks = Array.from(bytes, (b) => Uint8Array.of(b));
    expect(parse(chunks).events).toEqual([{ event: 'store:changed', data: '{"name":"Zoë ✓ 🚀"}' }]);
  });

  it('does not take a CR at the end of one chunk and an LF at the start of the next for two line ends', () => {
    // Two line ends would end the event after the first data line.
    const { events } = parse(['data: a\r', '\ndata: b\r', '\n\r', '\n']);
    expect(events).toEqual([{ event: 'message', data: 'a\nb' }]);
  });

  it('holds an unfinished event until its blank line arrives', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser({ event: (e) => events.push(e) });
    parser.push('event: tunnel:status\ndata: {"state":"off"}\n');
    expect(events).toEqual([]);
    parser.push('\n');
    expect(events).toEqual([{ event: 'tunnel:status', data: '{"state":"off"}' }]);
  });

  it('follows the field rules: one optional space, no colon, empty data, unknown fields', () => {
    const { events } = parse([
      'data:no space\n\n',
      'data:  two spaces\n\n',
      'data\n\n',
      'data:\ndata:\n\n',
      'id: 7\nretry: 10\nfoo: bar\ndata: x\n\n',
    ]);
    expect(events).toEqual([
      { event: 'message', data: 'no space' },
      { event: 'message', data: ' two spaces' },
      { event: 'message', data: '' },
      { event: 'message', data: '\n' },
      { event: 'message', data: 'x' },
    ]);
  });

  it('drops an event without data and resets the name after each event', () => {
    const { events } = parse(['event: deliveries:resync\n\n', 'event: a\ndata: 1\n\n', 'data: 2\n\n']);
    expect(events).toEqual([
      { event: 'a', data: '1' },
      { event: 'message', data: '2' },
    ]);
  });

  it('keeps comments out of the data, even between data lines', () => {
    const { events, comments } = parse(['data: 1\n:ping\ndata: 2\n\n']);
    expect(events).toEqual([{ event: 'message', data: '1\n2' }]);
    expect(comments).toEqual(['ping']);
  });

  it('ignores a byte-order mark at the start of the stream', () => {
    expect(parse(['\uFEFFdata: x\n\n']).events).toEqual([{ event: 'message', data: 'x' }]);
    expect(parse([Uint8Array.of(0xef, 0xbb), Uint8Array.of(0xbf, 0x64, 0x61, 0x74, 0x61, 0x3a, 0x79, 0x0a, 0x0a)]).events).toEqual([
      { event: 'message', data: 'y' },
    ]);
  });
});
