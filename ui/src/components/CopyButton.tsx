import { useEffect, useState } from 'react';

import { copyText } from './clipboard';
import { CheckIcon, CopyIcon } from './icons';

interface Props {
  /** The text, or a function producing it at click time (for large or derived values). */
  text: string | (() => string);
  /** Visible label; omit for an icon-only button. */
  label?: string;
  /** Accessible name and tooltip. */
  title: string;
  className?: string;
  /** Defaults to `copy-button`. */
  testId?: string;
}

export function CopyButton({ text, label, title, className, testId = 'copy-button' }: Props) {
  const [status, setStatus] = useState<'idle' | 'copied' | 'failed'>('idle');

  useEffect(() => {
    if (status === 'idle') return;
    const timer = window.setTimeout(() => setStatus('idle'), 1400);
    return () => window.clearTimeout(timer);
  }, [status]);

  const onClick = () => {
    copyText(typeof text === 'function' ? text() : text).then(
      () => setStatus('copied'),
      () => setStatus('failed'),
    );
  };

  const shown = status === 'copied' ? 'Copied' : status === 'failed' ? 'Copy failed' : label;
  return (
    <button
      type="button"
      className={`copy-btn ${status} ${label ? 'with-label' : 'icon-only'} ${className ?? ''}`}
      data-testid={testId}
      title={title}
      aria-label={title}
      onClick={onClick}
    >
      {status === 'copied' ? <CheckIcon /> : <CopyIcon />}
      {shown && <span className="copy-label">{shown}</span>}
      <span className="visually-hidden" role="status">
        {status === 'copied' ? 'Copied to clipboard' : ''}
      </span>
    </button>
  );
}
