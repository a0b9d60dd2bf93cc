import { type ReactNode, useEffect, useId, useRef } from 'react';

import { CloseIcon } from './icons';

interface Props {
  title: string;
  /** A short line beside the title. */
  subtitle?: string;
  /** Extra class beside `settings-dialog`. */
  className?: string;
  testId: string;
  /** `data-testid` of the close button. */
  closeTestId?: string;
  onClose: () => void;
  children: ReactNode;
  /** Buttons under the body, in a `dialog-foot`. */
  footer?: ReactNode;
}

/**
 * A modal `<dialog>` with a title bar and a close button. Escape closes it through `onClose`,
 * and its keys stay inside, so the list's shortcuts do not fire while typing in it.
 */
export function Modal({ title, subtitle, className, testId, closeTestId, onClose, children, footer }: Props) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const el = dialogRef.current;
    if (el && !el.open) el.showModal();
    return () => {
      if (el?.open) el.close();
    };
  }, []);

  return (
    <dialog
      ref={dialogRef}
      className={`settings-dialog ${className ?? ''}`}
      aria-labelledby={titleId}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onKeyDown={(e) => e.stopPropagation()}
    >
      <div className="settings-form">
        <header className="dialog-head">
          <h2 id={titleId}>{title}</h2>
          {subtitle && <span className="dialog-sub">{subtitle}</span>}
          <span className="spacer" />
          <button type="button" className="icon-btn" aria-label="Close" title="Close" data-testid={closeTestId} onClick={onClose}>
            <CloseIcon />
          </button>
        </header>
        <div className="dialog-body">{children}</div>
        {footer && <div className="dialog-foot">{footer}</div>}
      </div>
    </dialog>
  );
}
