import { useState } from 'preact/hooks';
import { apiFetch } from './api';

/** Delete, then "Delete for good" or "Keep": a deleted transcript cannot come back. */
export function DeleteButton({ id, label, small, onDeleted }: { id: string; label: string; small?: boolean; onDeleted: () => void }) {
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const size = small ? ' small' : '';
  const remove = () => apiFetch(`/v2/transcript/${id}`, { method: 'DELETE' }).then(onDeleted, (err: Error) => setError(err.message));
  return (
    <>
      {confirm ? (
        <span class="confirm">
          <button type="button" class={`danger${size}`} onClick={remove}>
            Delete for good
          </button>
          <button type="button" class={`ghost${size}`} onClick={() => setConfirm(false)}>
            Keep
          </button>
        </span>
      ) : (
        <button type="button" class={`ghost${size}`} onClick={() => setConfirm(true)} aria-label={label}>
          Delete…
        </button>
      )}
      {error && <p class={`error${size}`}>{error}</p>}
    </>
  );
}
