/**
 * A modal question before something that cannot be undone: Cancel is the
 * default (focused, and Escape), the action is the red button. A native
 * <dialog>: focus stays inside while it is open, and the page behind is inert.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export function ConfirmDialog(props: {
  open: boolean;
  /** Names the dialog's title and text (`${id}-title`, `${id}-text`) and its buttons for tests (`data-confirm={id}`). */
  id: string;
  title: string;
  children: ComponentChildren;
  action: string;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const { open, id, title, children, action, onCancel, onConfirm } = props;
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    else if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      class="confirm"
      ref={dialog}
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-text`}
      // Escape (or the platform's back gesture) asks to cancel: the state closes the dialog, as Cancel does. Not on
      // `close`: that event comes a task later, and a click that opened the dialog again meanwhile (the revoke
      // button at once after Escape) was undone by it, or found the state still open and did nothing.
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <h2 id={`${id}-title`}>{title}</h2>
      <p id={`${id}-text`}>{children}</p>
      <div class="confirm-actions">
        <button type="button" data-cancel={id} autoFocus onClick={onCancel}>
          Cancel
        </button>
        <button type="button" class="danger" data-confirm={id} onClick={onConfirm}>
          {action}
        </button>
      </div>
    </dialog>
  );
}
