import { useEffect, useState } from 'preact/hooks';
import { apiJson, type ApiError } from './api';

interface Component {
  id: string;
  name: string;
}

interface Listed {
  id: string;
  name: string;
  status: string;
  shortlink: string;
  scheduled_for?: string | null;
}

/** `datetime-local` input value (local time) → ISO 8601 for the API. */
const iso = (local: string) => new Date(local).toISOString();
/** An hour from now, as a `datetime-local` value. */
function localIn(ms: number): string {
  const d = new Date(Date.now() + ms);
  d.setSeconds(0, 0);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

function ComponentBoxes({
  components,
  picked,
  onChange,
  name,
}: {
  components: Component[];
  picked: string[];
  onChange: (ids: string[]) => void;
  name: string;
}) {
  return (
    <fieldset class="row wrap">
      <legend>Affected components</legend>
      {components.map((c) => (
        <label key={c.id}>
          <input
            type="checkbox"
            name={name}
            value={c.id}
            checked={picked.includes(c.id)}
            onChange={(e) => onChange(e.currentTarget.checked ? [...picked, c.id] : picked.filter((p) => p !== c.id))}
          />{' '}
          {c.name}
        </label>
      ))}
    </fieldset>
  );
}

/**
 * The status page's operator actions (the API's `POST /status/maintenances` and `/status/incidents`, for keys of the
 * server's own project): schedule maintenance and post an incident from the browser, not only from the CLI.
 */
export function StatusAdminPage() {
  const [components, setComponents] = useState<Component[]>([]);
  const [open, setOpen] = useState<{ incidents: Listed[]; maintenances: Listed[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [m, setM] = useState({ name: '', message: '', from: localIn(3_600_000), until: localIn(7_200_000), components: [] as string[] });
  const [i, setI] = useState({ name: '', message: '', impact: 'minor', status: 'investigating', components: [] as string[] });

  useEffect(() => {
    Promise.all([
      apiJson<{ components: Component[] }>('/api/v2/components.json'),
      apiJson<{ incidents: Listed[] }>('/api/v2/incidents/unresolved.json'),
      apiJson<{ scheduled_maintenances: Listed[] }>('/api/v2/scheduled-maintenances/upcoming.json'),
    ]).then(
      ([c, inc, main]) => {
        setComponents(c.components);
        setOpen({ incidents: inc.incidents, maintenances: main.scheduled_maintenances });
      },
      (err: ApiError) => setError(err.message),
    );
  }, [reload]);

  const send = async (e: Event, path: string, json: Record<string, unknown>, what: string, reset: () => void) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    try {
      const made = await apiJson<Listed>(path, { method: 'POST', json });
      setDone(`${what} "${made.name}" is on the status page.`);
      reset();
      setReload((n) => n + 1);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Status page</h1>
      <p class="muted">
        Tell users about planned work and incidents on <a href="/status">/status</a>. Only keys of the server's own project may.
      </p>
      {error && (
        <p class="failed" role="alert">
          {error}
        </p>
      )}
      {done && (
        <p class="card created" role="status">
          {done}
        </p>
      )}
      <form
        class="card admin-form"
        id="maintenance-form"
        onSubmit={(e) =>
          send(
            e,
            '/status/maintenances',
            { name: m.name, message: m.message, scheduled_for: iso(m.from), scheduled_until: iso(m.until), components: m.components },
            'Maintenance',
            () => setM({ ...m, name: '', message: '', components: [] }),
          )
        }
      >
        <h2>Schedule maintenance</h2>
        <label for="m-name">Name</label>
        <input id="m-name" required maxLength={200} value={m.name} onInput={(e) => setM({ ...m, name: e.currentTarget.value })} />
        <label for="m-message">What users should know</label>
        <textarea id="m-message" maxLength={2000} value={m.message} onInput={(e) => setM({ ...m, message: e.currentTarget.value })} />
        <div class="row wrap">
          <label>
            From{' '}
            <input id="m-from" type="datetime-local" required value={m.from} onInput={(e) => setM({ ...m, from: e.currentTarget.value })} />
          </label>
          <label>
            Until{' '}
            <input
              id="m-until"
              type="datetime-local"
              required
              value={m.until}
              onInput={(e) => setM({ ...m, until: e.currentTarget.value })}
            />
          </label>
        </div>
        <ComponentBoxes
          components={components}
          picked={m.components}
          name="m-components"
          onChange={(ids) => setM({ ...m, components: ids })}
        />
        <button type="submit" class="primary">
          Schedule
        </button>
      </form>
      <form
        class="card admin-form"
        id="incident-form"
        onSubmit={(e) =>
          send(
            e,
            '/status/incidents',
            { name: i.name, message: i.message, impact: i.impact, status: i.status, components: i.components },
            'Incident',
            () => setI({ ...i, name: '', message: '', components: [] }),
          )
        }
      >
        <h2>Post an incident</h2>
        <label for="i-name">Name</label>
        <input id="i-name" required maxLength={200} value={i.name} onInput={(e) => setI({ ...i, name: e.currentTarget.value })} />
        <label for="i-message">First update</label>
        <textarea
          id="i-message"
          required
          maxLength={2000}
          value={i.message}
          onInput={(e) => setI({ ...i, message: e.currentTarget.value })}
        />
        <div class="row wrap">
          <label>
            Impact{' '}
            <select id="i-impact" value={i.impact} onChange={(e) => setI({ ...i, impact: e.currentTarget.value })}>
              {['none', 'minor', 'major', 'critical'].map((v) => (
                <option key={v}>{v}</option>
              ))}
            </select>
          </label>
          <label>
            Status{' '}
            <select id="i-status" value={i.status} onChange={(e) => setI({ ...i, status: e.currentTarget.value })}>
              {['investigating', 'identified', 'monitoring'].map((v) => (
                <option key={v}>{v}</option>
              ))}
            </select>
          </label>
        </div>
        <ComponentBoxes
          components={components}
          picked={i.components}
          name="i-components"
          onChange={(ids) => setI({ ...i, components: ids })}
        />
        <button type="submit" class="primary">
          Post
        </button>
      </form>
      {open && (
        <section class="card" id="open-items">
          <h2>Open now</h2>
          {open.incidents.length + open.maintenances.length === 0 && <p class="muted">No open incident or upcoming maintenance.</p>}
          <ul>
            {[...open.incidents, ...open.maintenances].map((x) => (
              <li key={x.id}>
                <a href={`/status/incidents/${x.id}`}>{x.name}</a> <span class="muted">({x.status.replace(/_/g, ' ')})</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
