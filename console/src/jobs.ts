import { apiJson, ApiError, saveFileName, uploadFile, type Transcript } from './api';
import { getSpeed, recordSpeed } from './settings';

/** One file or URL on its way to a transcript: upload, then queued → processing → completed | error. */
export interface Job {
  localId: number;
  name: string;
  size: number | null;
  phase: 'waiting' | 'uploading' | 'queued' | 'processing' | 'completed' | 'error';
  sent: number;
  uploadStarted: number;
  /** Seconds of audio, read from the file in the browser when it can (for the estimate). */
  audioSeconds: number | null;
  processingSince: number | null;
  transcriptId: string | null;
  error: string | null;
}

export type TranscriptOptions = Record<string, unknown>;

const POLL_MS = 1000;
const PARALLEL_UPLOADS = 2;

let nextId = 1;
let jobs: Job[] = [];
const listeners = new Set<() => void>();
let uploading = 0;
const pendingUploads: (() => void)[] = [];

/** Jobs outlive the view that started them: navigating away does not stop an upload. */
export const getJobs = (): Job[] => jobs;
export function subscribeJobs(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
function update(job: Job, patch: Partial<Job>): void {
  Object.assign(job, patch);
  jobs = [...jobs];
  for (const l of listeners) l();
}
export function clearFinished(): void {
  jobs = jobs.filter((j) => j.phase !== 'completed' && j.phase !== 'error');
  for (const l of listeners) l();
}

/** The audio's length from its metadata, without decoding it; null if the browser cannot tell. */
function audioSecondsOf(file: File): Promise<number | null> {
  return new Promise((resolve) => {
    const url = URL.createObjectURL(file);
    const media = document.createElement(file.type.startsWith('video/') ? 'video' : 'audio');
    const done = (v: number | null) => {
      clearTimeout(timer);
      URL.revokeObjectURL(url);
      media.removeAttribute('src');
      resolve(v);
    };
    const timer = setTimeout(() => done(null), 5000);
    media.preload = 'metadata';
    media.onloadedmetadata = () => done(Number.isFinite(media.duration) ? media.duration : null);
    media.onerror = () => done(null);
    media.src = url;
  });
}

async function slot(): Promise<void> {
  if (uploading < PARALLEL_UPLOADS) {
    uploading++;
    return;
  }
  await new Promise<void>((resolve) => pendingUploads.push(resolve));
  uploading++;
}
function releaseSlot(): void {
  uploading--;
  pendingUploads.shift()?.();
}

async function follow(job: Job, options: TranscriptOptions, audioUrl: string, fileName?: string): Promise<void> {
  const created = await apiJson<Transcript>('/v2/transcript', { method: 'POST', json: { ...options, audio_url: audioUrl } });
  // The transcript is made either way; without its name it is listed as "Upload <id>".
  if (fileName) await saveFileName(created.id, fileName).catch(() => undefined);
  update(job, { transcriptId: created.id, phase: created.status });
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    let t: Transcript;
    try {
      t = await apiJson<Transcript>(`/v2/transcript/${created.id}`);
    } catch (err) {
      // The server restarting is not the transcript failing: keep polling, the banner says what is wrong.
      if (err instanceof ApiError && err.kind === 'network') continue;
      throw err;
    }
    if (t.status === 'processing' && job.processingSince === null) update(job, { processingSince: Date.now() });
    if (t.status === 'completed') {
      if (job.processingSince !== null && t.audio_duration) recordSpeed((Date.now() - job.processingSince) / 1000 / t.audio_duration);
      update(job, { phase: 'completed', audioSeconds: t.audio_duration ?? job.audioSeconds });
      return;
    }
    if (t.status === 'error') {
      update(job, { phase: 'error', error: t.error ?? 'Transcription failed' });
      return;
    }
    if (t.status !== job.phase) update(job, { phase: t.status });
  }
}

function run(job: Job, task: () => Promise<void>): void {
  jobs = [...jobs, job];
  for (const l of listeners) l();
  task().catch((err: unknown) => update(job, { phase: 'error', error: (err as Error).message }));
}

export function transcribeFile(file: File, options: TranscriptOptions): void {
  const job: Job = {
    localId: nextId++,
    name: file.name,
    size: file.size,
    phase: 'waiting',
    sent: 0,
    uploadStarted: 0,
    audioSeconds: null,
    processingSince: null,
    transcriptId: null,
    error: null,
  };
  run(job, async () => {
    void audioSecondsOf(file).then((s) => job.phase !== 'completed' && update(job, { audioSeconds: s }));
    await slot();
    let url: string;
    try {
      update(job, { phase: 'uploading', uploadStarted: Date.now() });
      url = await uploadFile(file, (sent) => update(job, { sent }));
    } finally {
      releaseSlot();
    }
    await follow(job, options, url, file.name);
  });
}

export function transcribeUrl(url: string, options: TranscriptOptions): void {
  const job: Job = {
    localId: nextId++,
    name: url,
    size: null,
    phase: 'queued',
    sent: 0,
    uploadStarted: 0,
    audioSeconds: null,
    processingSince: null,
    transcriptId: null,
    error: null,
  };
  run(job, () => follow(job, options, url));
}

/** Seconds until the transcript is ready, or null when there is nothing to base an estimate on. */
export function secondsLeft(job: Job, now: number): number | null {
  const speed = getSpeed() ?? 0.5;
  const processing = job.audioSeconds === null ? null : job.audioSeconds * speed;
  switch (job.phase) {
    case 'uploading': {
      const elapsed = (now - job.uploadStarted) / 1000;
      if (!job.size || job.sent === 0 || elapsed < 0.5) return null;
      const upload = ((job.size - job.sent) / job.sent) * elapsed;
      return processing === null ? null : upload + processing;
    }
    case 'queued':
      return processing;
    case 'processing':
      return processing === null ? null : Math.max(1, processing - (now - (job.processingSince ?? now)) / 1000);
    default:
      return null;
  }
}
