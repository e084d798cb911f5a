/** A modal confirmation (the native dialog: it holds the focus, Escape closes it, and the focus returns to the button that opened it). */
import { useEffect, useRef } from 'preact/hooks';
import { html } from 'htm/preact';

export function Confirm({ ask, onConfirm, onCancel }) {
  const dialog = useRef(null);
  useEffect(() => {
    const d = dialog.current;
    if (ask && d && !d.open) d.showModal();
    if (!ask && d?.open) d.close();
  }, [ask]);
  return html`
    <dialog ref=${dialog} aria-labelledby="confirm-title" onClose=${() => ask && onCancel()}>
      ${ask &&
      html`<form method="dialog" onSubmit=${(e) => { e.preventDefault(); onConfirm(); }}>
        <h2 id="confirm-title">${ask.title}</h2>
        <p>${ask.text}</p>
        <div class="buttons">
          <button type="button" class="quiet" onClick=${onCancel}>Keep it as it is</button>
          <button type="submit" class=${ask.danger ? 'danger' : ''} autofocus>${ask.confirm}</button>
        </div>
      </form>`}
    </dialog>
  `;
}
