import { useEffect, useState } from 'preact/hooks';
import { apiJson } from './api';
import { when } from './format';

interface Delivery {
  attempt: number;
  url: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  created_at: string;
}

/** The Earshot extension listing every webhook attempt of a transcript. */
export function Webhooks({ id, url }: { id: string; url: string }) {
  const [list, setList] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    apiJson<{ deliveries: Delivery[] }>(`/v2/transcript/${id}/webhook-deliveries`).then(
      (b) => setList(b.deliveries),
      (err: Error) => setError(err.message),
    );
  }, [id, reload]);
  return (
    <section aria-labelledby="hooks-h">
      <h2 id="hooks-h">Webhook deliveries</h2>
      <p class="muted small break">{url}</p>
      {error && <p class="error">{error}</p>}
      {list && list.length === 0 && <p class="muted">No attempt yet.</p>}
      {list && list.length > 0 && (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Answer</th>
              <th scope="col">Time</th>
            </tr>
          </thead>
          <tbody>
            {list.map((d) => (
              <tr>
                <td>{d.attempt}</td>
                <td>{when(d.created_at)}</td>
                <td class={d.status_code && d.status_code < 300 ? 'ok' : 'error'}>{d.status_code ?? d.error ?? 'no answer'}</td>
                <td>{d.duration_ms} ms</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <button type="button" class="ghost small" onClick={() => setReload((n) => n + 1)}>
        Refresh
      </button>
    </section>
  );
}
