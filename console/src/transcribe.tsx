import { useEffect, useState } from 'preact/hooks';
import { getCapabilities, type Capabilities } from './api';
import { bytes, roughDuration } from './format';
import {
  clearFinished,
  getJobs,
  secondsLeft,
  subscribeJobs,
  transcribeFile,
  transcribeUrl,
  type Job,
  type TranscriptOptions,
} from './jobs';
import { href } from './route';

/** Offered when the engine takes any language (Whisper): upstream's most asked-for codes. */
const COMMON_LANGUAGES = [
  'en_us',
  'en',
  'en_uk',
  'en_au',
  'es',
  'fr',
  'de',
  'it',
  'pt',
  'nl',
  'ja',
  'zh',
  'hi',
  'ru',
  'uk',
  'pl',
  'tr',
  'ko',
];

/** "colour, color -> color" per line, as upstream's custom_spelling. */
export function parseSpelling(text: string): { from: string[]; to: string }[] | string {
  const rules = [];
  for (const [n, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(.+?)\s*(?:->|→)\s*(.+)$/.exec(line);
    if (!m) return `Custom spelling, line ${n + 1}: write it as "from, other from -> to".`;
    rules.push({
      from: m[1]!
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      to: m[2]!.trim(),
    });
  }
  return rules;
}

function Options({ onChange }: { onChange: (o: TranscriptOptions | string) => void }) {
  const [language, setLanguage] = useState('en_us');
  const [speakers, setSpeakers] = useState(false);
  const [detect, setDetect] = useState(false);
  const [punctuate, setPunctuate] = useState(true);
  const [format, setFormat] = useState(true);
  const [spelling, setSpelling] = useState('');
  const [webhook, setWebhook] = useState('');
  const [authName, setAuthName] = useState('');
  const [authValue, setAuthValue] = useState('');
  // Until the server has said what it supports, only what every engine does is offered.
  const [caps, setCaps] = useState<Capabilities | null>(null);
  useEffect(() => {
    getCapabilities().then(setCaps, () => undefined); // the banner tells of a server that cannot answer
  }, []);
  const canSpeakers = caps !== null && !caps.unsupported_features.includes('speaker_labels');
  const canDetect = caps !== null && !caps.unsupported_features.includes('language_detection');
  const detecting = detect && canDetect;
  const languages = caps === null || caps.languages === 'all' ? COMMON_LANGUAGES : caps.languages;

  useEffect(() => {
    const rules = parseSpelling(spelling);
    if (typeof rules === 'string') return onChange(rules);
    const o: TranscriptOptions = { punctuate, format_text: format };
    // Upstream refuses a language_code beside language_detection: the detected language is the one used.
    if (detecting) o.language_detection = true;
    else if (language.trim()) o.language_code = language.trim();
    if (speakers && canSpeakers) o.speaker_labels = true;
    if (rules.length) o.custom_spelling = rules;
    if (webhook.trim()) o.webhook_url = webhook.trim();
    if (webhook.trim() && authName.trim()) {
      o.webhook_auth_header_name = authName.trim();
      o.webhook_auth_header_value = authValue;
    }
    onChange(o);
  }, [language, detecting, speakers, canSpeakers, punctuate, format, spelling, webhook, authName, authValue]);

  return (
    <details class="options">
      <summary>Options</summary>
      <div class="grid">
        <div>
          <label for="opt-lang">Language</label>
          <input
            id="opt-lang"
            list="langs"
            value={language}
            disabled={detecting}
            onInput={(e) => setLanguage(e.currentTarget.value)}
            aria-describedby="opt-lang-note"
          />
          {canDetect && (
            <label class="check">
              <input type="checkbox" checked={detect} onChange={(e) => setDetect(e.currentTarget.checked)} /> Detect the language
            </label>
          )}
          <datalist id="langs">
            {languages.map((l) => (
              <option value={l} />
            ))}
          </datalist>
          {caps && caps.languages !== 'all' && (
            <p id="opt-lang-note" class="muted small">
              {caps.speech_model} takes {caps.languages.join(', ')}.
            </p>
          )}
        </div>
        <fieldset>
          <legend>Text</legend>
          <label class="check">
            <input type="checkbox" checked={punctuate} onChange={(e) => setPunctuate(e.currentTarget.checked)} /> Punctuation
          </label>
          <label class="check">
            <input type="checkbox" checked={format} onChange={(e) => setFormat(e.currentTarget.checked)} /> Formatting (numbers, casing)
          </label>
          {canSpeakers && (
            <label class="check">
              <input type="checkbox" checked={speakers} onChange={(e) => setSpeakers(e.currentTarget.checked)} /> Speaker labels
            </label>
          )}
        </fieldset>
        <div class="wide">
          <label for="opt-spelling">Custom spelling</label>
          <textarea
            id="opt-spelling"
            rows={2}
            placeholder="gonna, gunna -> going to"
            value={spelling}
            onInput={(e) => setSpelling(e.currentTarget.value)}
          />
        </div>
        <div class="wide">
          <label for="opt-webhook">Webhook URL</label>
          <input
            id="opt-webhook"
            type="url"
            placeholder="https://example.com/hook"
            value={webhook}
            onInput={(e) => setWebhook(e.currentTarget.value)}
          />
        </div>
        <div>
          <label for="opt-auth-name">Webhook header name</label>
          <input id="opt-auth-name" value={authName} onInput={(e) => setAuthName(e.currentTarget.value)} />
        </div>
        <div>
          <label for="opt-auth-value">Webhook header value</label>
          <input
            id="opt-auth-value"
            type="password"
            autoComplete="off"
            value={authValue}
            onInput={(e) => setAuthValue(e.currentTarget.value)}
          />
        </div>
      </div>
    </details>
  );
}

const PHASE_LABEL: Record<Job['phase'], string> = {
  waiting: 'waiting to upload',
  uploading: 'uploading',
  queued: 'queued',
  processing: 'processing',
  completed: 'completed',
  error: 'error',
};

function JobRow({ job, now }: { job: Job; now: number }) {
  const left = secondsLeft(job, now);
  const pct = job.size ? Math.round((job.sent / job.size) * 100) : 0;
  return (
    <li class="job" data-phase={job.phase}>
      <div class="job-head">
        <span class="job-name" title={job.name}>
          {job.transcriptId && job.phase === 'completed' ? <a href={href.transcript(job.transcriptId)}>{job.name}</a> : job.name}
        </span>
        <span class={`badge ${job.phase}`}>{PHASE_LABEL[job.phase]}</span>
      </div>
      {job.phase === 'uploading' && job.size !== null && (
        <progress max={job.size} value={job.sent} aria-label={`Upload of ${job.name}`}>
          {pct}%
        </progress>
      )}
      <div class="muted small">
        {job.phase === 'uploading' && job.size !== null && `${bytes(job.sent)} of ${bytes(job.size)} · `}
        {left !== null && `${roughDuration(left)} left (estimate) · `}
        {job.audioSeconds !== null && `${Math.round(job.audioSeconds)} s of audio`}
        {job.phase === 'completed' && job.transcriptId && (
          <>
            {' · '}
            <a href={href.transcript(job.transcriptId)}>Open transcript</a>
          </>
        )}
      </div>
      {job.error && (
        <p class="error" role="alert">
          {job.error}
        </p>
      )}
    </li>
  );
}

function Jobs() {
  const [list, setList] = useState(getJobs());
  const [now, setNow] = useState(Date.now());
  useEffect(() => subscribeJobs(() => setList(getJobs())), []);
  const active = list.some((j) => j.phase !== 'completed' && j.phase !== 'error');
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  if (list.length === 0) return null;
  return (
    <section aria-label="Files in progress">
      <ul class="jobs" aria-live="polite">
        {list.map((j) => (
          <JobRow key={j.localId} job={j} now={now} />
        ))}
      </ul>
      {!active && (
        <button type="button" class="ghost small" onClick={clearFinished}>
          Clear finished
        </button>
      )}
    </section>
  );
}

/** Drop files or paste a URL, with options; each becomes a job with live progress. */
export function Transcribe() {
  const [options, setOptions] = useState<TranscriptOptions | string>({});
  const [url, setUrl] = useState('');
  const [dragging, setDragging] = useState(false);
  const invalid = typeof options === 'string' ? options : null;

  const files = (list: FileList | null) => {
    if (!list || invalid) return;
    for (const f of Array.from(list)) transcribeFile(f, options as TranscriptOptions);
  };

  return (
    <section class="card" aria-labelledby="new-h">
      <h2 id="new-h">New transcript</h2>
      <label
        class={`drop${dragging ? ' over' : ''}`}
        onDragOver={(e) => (e.preventDefault(), setDragging(true))}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          files(e.dataTransfer?.files ?? null);
        }}
      >
        <input
          type="file"
          multiple
          accept="audio/*,video/*"
          class="visually-hidden"
          data-testid="file-input"
          onChange={(e) => {
            files(e.currentTarget.files);
            e.currentTarget.value = '';
          }}
        />
        <strong>Drop audio or video files here</strong>
        <span class="muted">or press to choose files (several at once is fine)</span>
      </label>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (!url.trim() || invalid) return;
          transcribeUrl(url.trim(), options as TranscriptOptions);
          setUrl('');
        }}
      >
        <label for="audio-url" class="visually-hidden">
          Audio URL
        </label>
        <input
          id="audio-url"
          type="url"
          placeholder="…or paste a URL: https://example.com/talk.mp3"
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
        <button type="submit" disabled={!url.trim()}>
          Transcribe URL
        </button>
      </form>
      <Options onChange={setOptions} />
      {invalid && (
        <p class="error" role="alert">
          {invalid}
        </p>
      )}
      <Jobs />
    </section>
  );
}
