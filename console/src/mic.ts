import { apiJson } from './api';
import workletUrl from './pcm-worklet.ts?worker&url';

/** A v3 server message, the fields the console reads. */
export interface TurnMessage {
  type: 'Turn';
  turn_order: number;
  end_of_turn: boolean;
  turn_is_formatted: boolean;
  transcript: string;
  words: { text: string; word_is_final: boolean }[];
}

export interface MicEvents {
  onTurn(msg: TurnMessage): void;
  onLevel(peak: number): void;
  onState(state: 'connecting' | 'listening' | 'stopping' | 'stopped'): void;
  /** The session ended in a way the user should know about. */
  onError(message: string): void;
}

const SAMPLE_RATE = 16_000;

/** What getUserMedia's errors mean for the user. */
function micError(err: unknown): string {
  const name = (err as DOMException).name;
  if (name === 'NotAllowedError')
    return 'The browser was not allowed to use the microphone. Allow it in the address bar, then start again.';
  if (name === 'NotFoundError') return 'No microphone was found.';
  if (name === 'NotReadableError') return 'The microphone is in use by another application.';
  return `The microphone could not be opened: ${(err as Error).message}`;
}

/**
 * Microphone → AudioWorklet (16 kHz PCM) → WebSocket `/v3/ws`, authorised by a single-use
 * temporary token in the URL (a browser WebSocket cannot send an Authorization header).
 */
export class MicSession {
  private ws: WebSocket | null = null;
  private audio: AudioContext | null = null;
  private stream: MediaStream | null = null;
  private stopped = false;

  constructor(private readonly events: MicEvents) {}

  async start(): Promise<void> {
    this.events.onState('connecting');
    if (!navigator.mediaDevices?.getUserMedia) {
      throw new Error(
        'This browser allows the microphone only on https:// pages or on localhost. Serve Earshot with --tls, or open it at localhost.',
      );
    }
    const { token } = await apiJson<{ token: string }>('/v3/token?expires_in_seconds=60');
    try {
      // Raw audio: echo cancellation and noise suppression are tuned for calls, not for recognisers.
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      });
    } catch (err) {
      throw new Error(micError(err));
    }
    if (this.stopped) return this.release();
    this.audio = new AudioContext({ sampleRate: SAMPLE_RATE });
    await this.audio.audioWorklet.addModule(workletUrl);
    const node = new AudioWorkletNode(this.audio, 'pcm16-capture', { numberOfInputs: 1, numberOfOutputs: 0 });

    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const qs = new URLSearchParams({ sample_rate: String(SAMPLE_RATE), encoding: 'pcm_s16le', format_turns: 'true', token });
    const ws = new WebSocket(`${proto}//${location.host}/v3/ws?${qs}`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;

    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data as string) as { type: string; error?: string };
      if (msg.type === 'Begin') {
        // Audio flows only once the session exists.
        this.audio!.createMediaStreamSource(this.stream!).connect(node);
        this.events.onState('listening');
      } else if (msg.type === 'Turn') this.events.onTurn(msg as TurnMessage);
      else if (msg.type === 'Error' && msg.error) this.events.onError(msg.error);
    };
    ws.onclose = (e) => {
      if (e.code !== 1000 && e.code !== 1005 && !this.stopped)
        this.events.onError(`The session ended: ${e.reason || 'connection lost'} (code ${e.code}).`);
      this.release();
    };
    node.port.onmessage = (e: MessageEvent<{ pcm: ArrayBuffer; peak: number }>) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(e.data.pcm);
      this.events.onLevel(e.data.peak);
    };
  }

  /** Asks the server to finish (it sends the last turn, then Termination and closes). */
  stop(): void {
    this.stopped = true;
    this.events.onState('stopping');
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    void this.audio?.close();
    this.audio = null;
    const ws = this.ws;
    if (ws?.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify({ type: 'Terminate' }));
      // The server closes after Termination; don't wait forever for one that went away.
      setTimeout(() => ws.readyState !== WebSocket.CLOSED && ws.close(), 5000);
    } else this.release();
  }

  private release(): void {
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    void this.audio?.close();
    this.audio = null;
    this.stream = null;
    this.events.onState('stopped');
  }
}
