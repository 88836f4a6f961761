import { useState } from 'preact/hooks';
import { apiFetch, type Transcript } from './api';
import { copyText, download } from './download';

const baseName = (name: string) => name.replace(/\.[A-Za-z0-9]{1,5}$/, '').replace(/[^\w.-]+/g, '_') || 'transcript';

/** TXT, SRT, VTT and JSON, each straight from the API so the files are exactly what a client gets. */
export function Exports({ t, name }: { t: Transcript; name: string }) {
  const [error, setError] = useState<string | null>(null);
  const file = baseName(name);
  const save = async (format: 'txt' | 'srt' | 'vtt' | 'json') => {
    setError(null);
    try {
      if (format === 'txt') return download(`${file}.txt`, `${t.text ?? ''}\n`, 'text/plain');
      if (format === 'json') return download(`${file}.json`, JSON.stringify(t, null, 2), 'application/json');
      const text = await (await apiFetch(`/v2/transcript/${t.id}/${format}`)).text();
      download(`${file}.${format}`, text, format === 'srt' ? 'application/x-subrip' : 'text/vtt');
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section aria-labelledby="export-h">
      <h2 id="export-h">Export</h2>
      <div class="row wrap">
        {(['txt', 'srt', 'vtt', 'json'] as const).map((f) => (
          <button type="button" onClick={() => save(f)}>
            {f.toUpperCase()}
          </button>
        ))}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function snippets(id: string): Record<string, string> {
  const base = location.origin;
  return {
    curl: `curl -H "authorization: $EARSHOT_API_KEY" \\\n  ${base}/v2/transcript/${id}`,
    Node: `import { AssemblyAI } from 'assemblyai';

const client = new AssemblyAI({ apiKey: process.env.EARSHOT_API_KEY, baseUrl: '${base}' });
const transcript = await client.transcripts.get('${id}');
console.log(transcript.text);`,
    Python: `import os
import assemblyai as aai

aai.settings.api_key = os.environ["EARSHOT_API_KEY"]
aai.settings.base_url = "${base}"
transcript = aai.Transcript.get_by_id("${id}")
print(transcript.text)`,
  };
}

/** Code that fetches this transcript, with the key left to an environment variable so it is never copied by accident. */
export function Snippet({ id }: { id: string }) {
  const all = snippets(id);
  const [lang, setLang] = useState('curl');
  const [copied, setCopied] = useState<string | null>(null);
  const code = all[lang]!;
  return (
    <section aria-labelledby="snippet-h">
      <h2 id="snippet-h">Fetch it with code</h2>
      {/* biome-ignore lint/a11y/useSemanticElements: a row of toggle buttons, not a form fieldset */}
      <div class="tabs" role="group" aria-label="Language">
        {Object.keys(all).map((l) => (
          <button type="button" class="small" aria-pressed={l === lang} onClick={() => (setLang(l), setCopied(null))}>
            {l}
          </button>
        ))}
      </div>
      <pre class="code" data-testid="snippet">
        <code>{code}</code>
      </pre>
      <div class="row">
        <button
          type="button"
          onClick={() =>
            copyText(code).then(
              () => setCopied('Copied. Set EARSHOT_API_KEY to your key before running it.'),
              (err: Error) => setCopied(err.message),
            )
          }
        >
          Copy
        </button>
        <span class="muted small" role="status">
          {copied}
        </span>
      </div>
    </section>
  );
}
