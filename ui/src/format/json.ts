/**
 * A small JSON parser for display. JSON.parse would reorder integer-like keys, drop duplicate keys
 * and round large numbers; an inspector must show what was sent, so the tree keeps all three.
 */
export type JsonNode =
  | { kind: 'object'; entries: Array<[string, JsonNode]>; size: number }
  | { kind: 'array'; items: JsonNode[]; size: number }
  | { kind: 'string'; value: string }
  | { kind: 'number'; raw: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' };

export class JsonSyntaxError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(`${message} at position ${position}`);
    this.name = 'JsonSyntaxError';
    this.position = position;
  }
}

/** Deeper documents are shown as raw text rather than risking the stack. */
export const MAX_JSON_DEPTH = 256;

const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseDocument(): JsonNode {
    this.ws();
    const node = this.value(0);
    this.ws();
    if (this.pos !== this.text.length) this.fail('Unexpected trailing data');
    return node;
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(message, this.pos);
  }

  private ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  private value(depth: number): JsonNode {
    if (depth > MAX_JSON_DEPTH) this.fail('Nesting too deep');
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
        return { kind: 'string', value: this.string() };
      case 't':
        return this.literal('true', { kind: 'boolean', value: true });
      case 'f':
        return this.literal('false', { kind: 'boolean', value: false });
      case 'n':
        return this.literal('null', { kind: 'null' });
      default:
        return this.number();
    }
  }

  private literal(word: string, node: JsonNode): JsonNode {
    if (!this.text.startsWith(word, this.pos)) this.fail('Unexpected token');
    this.pos += word.length;
    return node;
  }

  private number(): JsonNode {
    NUMBER_RE.lastIndex = this.pos;
    const m = NUMBER_RE.exec(this.text);
    if (!m || m[0].length === 0) this.fail('Unexpected token');
    this.pos += m[0].length;
    return { kind: 'number', raw: m[0] };
  }

  private string(): string {
    const t = this.text;
    this.pos++; // opening quote
    let out = '';
    let chunkStart = this.pos;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        out += t.slice(chunkStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail('Control character in string');
      if (c === 0x5c) {
        out += t.slice(chunkStart, this.pos);
        const e = t[this.pos + 1];
        this.pos += 2;
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = t.slice(this.pos, this.pos + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('Bad unicode escape');
            out += String.fromCharCode(parseInt(hex, 16));
            this.pos += 4;
            break;
          }
          default:
            this.pos -= 1;
            this.fail('Bad escape');
        }
        chunkStart = this.pos;
        continue;
      }
      this.pos++;
    }
    return this.fail('Unterminated string');
  }

  private object(depth: number): JsonNode {
    this.pos++; // {
    const entries: Array<[string, JsonNode]> = [];
    let size = 0;
    this.ws();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return { kind: 'object', entries, size };
    }
    for (;;) {
      this.ws();
      if (this.text[this.pos] !== '"') this.fail('Expected property name');
      const key = this.string();
      this.ws();
      if (this.text[this.pos] !== ':') this.fail("Expected ':'");
      this.pos++;
      this.ws();
      const child = this.value(depth + 1);
      entries.push([key, child]);
      size += 1 + nodeSize(child);
      this.ws();
      const c = this.text[this.pos];
      this.pos++;
      if (c === '}') return { kind: 'object', entries, size };
      if (c !== ',') {
        this.pos--;
        this.fail("Expected ',' or '}'");
      }
    }
  }

  private array(depth: number): JsonNode {
    this.pos++; // [
    const items: JsonNode[] = [];
    let size = 0;
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return { kind: 'array', items, size };
    }
    for (;;) {
      this.ws();
      const child = this.value(depth + 1);
      items.push(child);
      size += 1 + nodeSize(child);
      this.ws();
      const c = this.text[this.pos];
      this.pos++;
      if (c === ']') return { kind: 'array', items, size };
      if (c !== ',') {
        this.pos--;
        this.fail("Expected ',' or ']'");
      }
    }
  }
}

/** Number of descendant nodes (0 for scalars). */
export function nodeSize(node: JsonNode): number {
  return node.kind === 'object' || node.kind === 'array' ? node.size : 0;
}

/** Parses strict JSON (RFC 8259). Throws JsonSyntaxError. */
export function parseJson(text: string): JsonNode {
  return new Parser(text).parseDocument();
}

/** The tree when `text` is JSON worth pretty-printing, else null. */
export function tryParseJson(text: string, contentTypeSaysJson: boolean): JsonNode | null {
  const trimmed = text.trimStart();
  // Without a JSON content type, only documents (objects/arrays) count: "42" is just text.
  if (!contentTypeSaysJson && !(trimmed.startsWith('{') || trimmed.startsWith('['))) return null;
  if (trimmed.length === 0) return null;
  try {
    return parseJson(text);
  } catch {
    return null;
  }
}

export function scalarText(node: JsonNode): string {
  switch (node.kind) {
    case 'string':
      return JSON.stringify(node.value);
    case 'number':
      return node.raw;
    case 'boolean':
      return node.value ? 'true' : 'false';
    case 'null':
      return 'null';
    case 'object':
      return node.entries.length === 0 ? '{}' : '{…}';
    case 'array':
      return node.items.length === 0 ? '[]' : '[…]';
  }
}

/** Indented text of the tree; numbers keep their original spelling, duplicate keys stay. */
export function formatJson(node: JsonNode, indent = 2): string {
  const out: string[] = [];
  const write = (n: JsonNode, level: number): void => {
    const pad = ' '.repeat(indent * (level + 1));
    const closePad = ' '.repeat(indent * level);
    if (n.kind === 'object' && n.entries.length > 0) {
      out.push('{\n');
      n.entries.forEach(([k, v], i) => {
        out.push(pad, JSON.stringify(k), ': ');
        write(v, level + 1);
        out.push(i < n.entries.length - 1 ? ',\n' : '\n');
      });
      out.push(closePad, '}');
    } else if (n.kind === 'array' && n.items.length > 0) {
      out.push('[\n');
      n.items.forEach((v, i) => {
        out.push(pad);
        write(v, level + 1);
        out.push(i < n.items.length - 1 ? ',\n' : '\n');
      });
      out.push(closePad, ']');
    } else {
      out.push(scalarText(n));
    }
  };
  write(node, 0);
  return out.join('');
}

/** One-line summary of a collapsed container: `"id": 1, "name": "Ada", …`. */
export function previewText(node: JsonNode, maxLength = 64): string {
  const parts: string[] = [];
  let length = 0;
  const children: Array<[string | null, JsonNode]> =
    node.kind === 'object' ? node.entries : node.kind === 'array' ? node.items.map((v) => [null, v]) : [];
  for (const [key, child] of children) {
    let value = scalarText(child);
    if (child.kind === 'string' && value.length > 26) value = `${value.slice(0, 24)}…"`;
    const part = key === null ? value : `${JSON.stringify(key)}: ${value}`;
    if (parts.length > 0 && length + part.length > maxLength) {
      parts.push('…');
      return parts.join(', ');
    }
    parts.push(part);
    length += part.length + 2;
  }
  return parts.join(', ');
}
