import { type CSSProperties, useState } from 'react';

import { type JsonNode, previewText, scalarText } from '../format/json';
import { ChevronIcon } from './icons';

/** Children rendered per "show more" step, so a 10k-element array stays responsive. */
const CHILD_PAGE = 200;
/** Documents with fewer nodes than this open fully; larger ones open two levels. */
const AUTO_EXPAND_NODES = 2500;
const INDENT_PX = 16;

const indent = (depth: number): CSSProperties => ({ paddingLeft: depth * INDENT_PX + 18 });

export function JsonTree({ root }: { root: JsonNode }) {
  const size = root.kind === 'object' || root.kind === 'array' ? root.size : 0;
  const [expand, setExpand] = useState({ depth: size <= AUTO_EXPAND_NODES ? Infinity : 2, generation: 0 });

  return (
    <div className="json-tree">
      <div className="json-tools">
        <button type="button" className="link-btn" onClick={() => setExpand((e) => ({ depth: Infinity, generation: e.generation + 1 }))}>
          Expand all
        </button>
        <button type="button" className="link-btn" onClick={() => setExpand((e) => ({ depth: 1, generation: e.generation + 1 }))}>
          Collapse all
        </button>
      </div>
      <div className="json-lines" role="tree" key={expand.generation}>
        <JsonValue node={root} depth={0} isLast expandDepth={expand.depth} />
      </div>
    </div>
  );
}

interface ValueProps {
  name?: string;
  node: JsonNode;
  depth: number;
  isLast: boolean;
  expandDepth: number;
}

function KeyLabel({ name }: { name: string | undefined }) {
  if (name === undefined) return null;
  return (
    <>
      <span className="j-key">{JSON.stringify(name)}</span>
      <span className="j-punct">: </span>
    </>
  );
}

function JsonValue(props: ValueProps) {
  const { node } = props;
  if ((node.kind === 'object' && node.entries.length > 0) || (node.kind === 'array' && node.items.length > 0)) {
    return <JsonContainer {...props} />;
  }
  return (
    <div className="j-line" style={indent(props.depth)} role="treeitem">
      <KeyLabel name={props.name} />
      <span className={`j-${node.kind}`}>{scalarText(node)}</span>
      {!props.isLast && <span className="j-punct">,</span>}
    </div>
  );
}

function JsonContainer({ name, node, depth, isLast, expandDepth }: ValueProps) {
  const [open, setOpen] = useState(depth < expandDepth);
  const [shown, setShown] = useState(CHILD_PAGE);
  const isObject = node.kind === 'object';
  const children: Array<[string | undefined, JsonNode]> =
    node.kind === 'object' ? node.entries : node.kind === 'array' ? node.items.map((v) => [undefined, v]) : [];
  const [openCh, closeCh] = isObject ? ['{', '}'] : ['[', ']'];
  const countText = isObject ? `${children.length} ${children.length === 1 ? 'key' : 'keys'}` : `${children.length} ${children.length === 1 ? 'item' : 'items'}`;
  const visible = children.slice(0, shown);

  return (
    <div role="treeitem" aria-expanded={open}>
      <div className="j-line j-open" style={indent(depth)}>
        <button
          type="button"
          className={`j-toggle ${open ? 'is-open' : ''}`}
          style={{ left: depth * INDENT_PX }}
          onClick={() => setOpen((o) => !o)}
          aria-label={open ? 'Collapse' : 'Expand'}
        >
          <ChevronIcon />
        </button>
        <KeyLabel name={name} />
        <span className="j-punct">{openCh}</span>
        {!open && (
          <>
            <button type="button" className="j-ellipsis" onClick={() => setOpen(true)} title="Expand">
              {previewText(node) || '…'}
            </button>
            <span className="j-punct">{closeCh}</span>
            {!isLast && <span className="j-punct">,</span>}
            <span className="j-count">{countText}</span>
          </>
        )}
      </div>
      {open && (
        <>
          <div role="group">
            {visible.map(([childName, child], i) => (
              <JsonValue
                key={i}
                name={childName}
                node={child}
                depth={depth + 1}
                isLast={i === children.length - 1}
                expandDepth={expandDepth}
              />
            ))}
            {children.length > shown && (
              <div className="j-line" style={indent(depth + 1)}>
                <button type="button" className="link-btn" onClick={() => setShown((s) => s + CHILD_PAGE)}>
                  Show {Math.min(CHILD_PAGE, children.length - shown)} more ({children.length - shown} hidden)
                </button>
              </div>
            )}
          </div>
          <div className="j-line" style={indent(depth)}>
            <span className="j-punct">{closeCh}</span>
            {!isLast && <span className="j-punct">,</span>}
          </div>
        </>
      )}
    </div>
  );
}
