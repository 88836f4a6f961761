import { useEffect, useState } from 'preact/hooks';
import { apiJson } from './api';
import { whenExact } from './format';

interface Delivery {
  attempt: number;
  url: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  /** The start of the receiver's answer (Earshot keeps 512 bytes). */
  response_excerpt?: string | null;
  created_at: string;
}

const REFRESH_MS = 2000;

/** The Earshot extension listing every webhook attempt of a transcript, and a way to send it again. */
export function Webhooks({ id, url, final }: { id: string; url: string; final: boolean }) {
  const [list, setList] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [sent, setSent] = useState<string | null>(null);
  /** After a redelivery: how many attempts there were, until a new one shows up. */
  const [before, setBefore] = useState<number | null>(null);
  useEffect(() => {
    let live = true;
    apiJson<{ deliveries: Delivery[] }>(`/v2/transcript/${id}/webhook-deliveries`).then(
      (b) => {
        if (!live) return;
        setList(b.deliveries);
        setError(null);
      },
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
    };
  }, [id, reload]);
  const count = list?.length ?? 0;
  // After a redelivery, look again until its attempt shows up.
  useEffect(() => {
    if (before === null) return;
    if (count > before) return setBefore(null);
    const timer = setTimeout(() => setReload((n) => n + 1), REFRESH_MS);
    return () => clearTimeout(timer);
  }, [before, list]);

  const redeliver = () => {
    setSent(null);
    apiJson(`/v2/console/transcripts/${id}/webhook-redeliver`, { method: 'POST' }).then(
      () => {
        setBefore(count);
        setSent('Sent again: the new attempt shows here in a moment.');
      },
      (err: Error) => setSent(err.message),
    );
  };

  return (
    <section aria-labelledby="hooks-h">
      <h2 id="hooks-h">Webhook deliveries</h2>
      <p class="muted small break">{url}</p>
      {error && <p class="error">{error}</p>}
      {list && list.length === 0 && <p class="muted">No attempt yet.</p>}
      {list && list.length > 0 && (
        <table class="table hooks">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Answer</th>
              <th scope="col">Time</th>
            </tr>
          </thead>
          <tbody>
            {list.map((d, i) => (
              <>
                <tr>
                  <td>{i + 1}</td>
                  <td>{whenExact(d.created_at)}</td>
                  <td class={d.status_code && d.status_code < 300 ? 'ok' : 'error'}>{d.status_code ?? d.error ?? 'no answer'}</td>
                  <td>{d.duration_ms} ms</td>
                </tr>
                {d.response_excerpt && (
                  <tr class="excerpt">
                    <td colSpan={4}>
                      <code class="break">{d.response_excerpt}</code>
                    </td>
                  </tr>
                )}
              </>
            ))}
          </tbody>
        </table>
      )}
      <div class="row wrap">
        <button type="button" class="ghost small" onClick={() => setReload((n) => n + 1)}>
          Refresh
        </button>
        {final && (
          <button type="button" class="small" onClick={redeliver}>
            Redeliver
          </button>
        )}
      </div>
      {sent && (
        <p class="muted small" role="status">
          {sent}
        </p>
      )}
    </section>
  );
}
